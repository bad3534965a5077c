import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  avg,
  count,
  defineSchema,
  defineTopology,
  distinctCount,
  json,
  max,
  reduce,
  session,
  sum,
  TopologyTestDriver,
  tumbling,
} from '../../src/index.ts'
import { buildPipeline } from '../../src/pipeline/pipeline.ts'
import type { KafkaRecord } from '../../src/records/record.ts'
import { bindFormat } from '../../src/serde/bind.ts'
import { memoryRegistry } from '../../src/serde/registry.ts'
import { MemorySink } from '../../src/sinks/memory-sink.ts'
import { MemoryStateStore } from '../../src/state/memory-store.ts'
import { PartitionStates } from '../../src/state/partition-states.ts'
import type { GoldDeclaration } from '../../src/windows/gold.ts'
import type { GoldRow } from '../../src/windows/gold-row.ts'

const saleSchema = defineSchema({
  type: 'record',
  name: 'Sale',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'shop', type: 'string' },
    { name: 'amount', type: 'double' },
    { name: 'ts', type: 'long' },
  ],
})
type Sale = { id: string; shop: string; amount: number; ts: number }

const perShop: GoldDeclaration<Sale> = {
  name: 'sales_per_shop',
  window: tumbling({ size: 10, grace: 2 }),
  groupBy: { shop: (s) => s.shop },
  aggregate: {
    n: count(),
    total: sum((s) => s.amount),
    mean: avg((s) => s.amount),
    top: max((s) => s.amount),
  },
}

function sales(gold: GoldDeclaration<Sale>[] = [perShop], idleTimeout = 1000) {
  return defineTopology(
    { name: 'sales', source: { topics: ['sales'], format: json(saleSchema) } },
    {
      eventTime: (s) => s.ts,
      dedup: { name: 'sale-id', key: (s) => s.id, retention: '1h' },
      watermark: { outOfOrderness: 3, idleTimeout },
      gold,
    },
  )
}

const sale = (id: number, shop: string, amount: number, ts: number): Sale => ({
  id: `s${id}`,
  shop,
  amount,
  ts,
})

describe('gold windows in a topology', () => {
  it('writes one partial per input partition and window; the view merges them exactly', async () => {
    const driver = new TopologyTestDriver(sales())
    await driver.pipe(sale(1, 'a', 10, 1), { partition: 0 })
    await driver.pipe(sale(2, 'a', 30, 4), { partition: 1 })
    await driver.pipe(sale(3, 'b', 5, 8), { partition: 0 })
    assert.deepEqual(driver.goldRows('sales_per_shop'), [], 'nothing closed yet')
    // Partition 0's watermark: 16 - 3 = 13 >= 10 + 2, so its [0,10) windows close; partition 1's do not.
    await driver.pipe(sale(4, 'a', 1, 16), { partition: 0 })
    assert.deepEqual(
      driver.goldRows('sales_per_shop').map((r) => [r.partition, r.key, r.start, r.version]),
      [
        [0, '["a"]', 0, 3],
        [0, '["b"]', 0, 3],
      ],
      'the version is the offset after the newest record read: offsets 0..2 on partition 0, so 3',
    )
    await driver.pipe(sale(5, 'c', 1, 20), { partition: 1 })
    assert.deepEqual(driver.gold('sales_per_shop').slice(0, 2), [
      { key: ['a'], start: 0, end: 10, values: { n: 2, total: 40, mean: 20, top: 30 } },
      { key: ['b'], start: 0, end: 10, values: { n: 1, total: 5, mean: 5, top: 5 } },
    ])
  })

  it('sends a record whose windows all closed to the late table, and counts it', async () => {
    const driver = new TopologyTestDriver(sales())
    await driver.pipe(sale(1, 'a', 1, 30))
    await driver.pipe(sale(2, 'a', 1, 14))
    const [late] = driver.late()
    assert.equal(late?.code, 'LATE')
    assert.equal(late?.stage, 'window')
    assert.match(late?.reason ?? '', /too late for gold sales_per_shop/)
    assert.equal(driver.stats.late, 1)
    assert.equal(driver.silver().length, 2, 'a late record is still a valid silver record')
    // Within grace: watermark 27, window [20,30) closes at 32.
    await driver.pipe(sale(3, 'a', 1, 25))
    assert.equal(driver.stats.late, 1)
  })

  it('does not count a duplicate twice', async () => {
    const driver = new TopologyTestDriver(sales())
    await driver.pipe(sale(1, 'a', 10, 1))
    await driver.pipe(sale(1, 'a', 10, 1))
    await driver.pipe(sale(2, 'a', 1, 50))
    assert.deepEqual(driver.gold('sales_per_shop')[0]?.values.n, 1)
  })

  it('closes an idle partition at the busy partitions watermark once the idle timeout passes', async () => {
    const driver = new TopologyTestDriver(sales([perShop], 1000))
    await driver.pipe(sale(1, 'quiet', 1, 1), { partition: 1 })
    driver.advanceTime(500)
    await driver.pipe(sale(2, 'busy', 1, 100), { partition: 0 })
    assert.equal(driver.gold('sales_per_shop').length, 0, 'partition 1 is not idle yet')
    driver.advanceTime(600)
    assert.deepEqual(
      driver.gold('sales_per_shop').map((g) => g.key),
      [['quiet']],
    )
  })

  it('never counts a partition with a backlog as idle: a starved partition is not a quiet one', async () => {
    // The 1M catch-up: partition 1 still has records to fetch while partition 0 races ahead and
    // the idle timeout passes; its windows must stay open for the records still to come.
    const driver = new TopologyTestDriver(sales([perShop], 1000))
    await driver.pipe(sale(1, 'starved', 1, 1), { partition: 1, backlog: 1 })
    await driver.pipe(sale(2, 'busy', 1, 100), { partition: 0, backlog: 0 })
    driver.advanceTime(5_000)
    assert.equal(driver.gold('sales_per_shop').length, 0, 'partition 1 holds the watermark back')
    await driver.pipe(sale(3, 'starved', 2, 2), { partition: 1, backlog: 0 })
    assert.deepEqual(driver.late(), [], 'its record is on time')
    driver.advanceTime(5_000)
    assert.deepEqual(
      driver.gold('sales_per_shop').map((g) => [g.key, g.values.n]),
      [[['starved'], 2]],
    )
  })

  it('emits early updates at checkpoints with rising versions; the latest wins', async () => {
    const driver = new TopologyTestDriver(sales([{ ...perShop, emit: 'updates' }]))
    await driver.pipe(sale(1, 'a', 10, 1))
    driver.checkpoint()
    await driver.pipe(sale(2, 'a', 20, 2))
    driver.checkpoint()
    driver.checkpoint()
    const rows = driver.goldRows('sales_per_shop')
    assert.deepEqual(
      rows.map((r) => r.version),
      [1, 2],
      'one row per checkpoint that changed the window',
    )
    assert.equal(driver.gold('sales_per_shop')[0]?.values.total, 30)
    await driver.pipe(sale(3, 'a', 1, 40))
    assert.equal(driver.goldRows('sales_per_shop').at(-1)?.version, 3)
  })

  it('refuses session windows and reducers over input that is not copartitioned, naming the fix', () => {
    const sessions = { ...perShop, name: 'visits', window: session({ gap: 5 }) }
    assert.throws(() => sales([sessions]), /copartitioned.*key the input topic by the group key/s)
    const reduced = {
      ...perShop,
      aggregate: { last: reduce<Sale, number>({ init: () => 0, add: (_, s) => s.amount, result: (a) => a }) },
    }
    assert.throws(() => sales([reduced]), /reduce aggregate last cannot be merged/)
    assert.doesNotThrow(() => sales([{ ...sessions, copartitioned: true }]))
    assert.throws(() => sales([{ ...perShop, groupBy: { _version: (s) => s.shop } }]), /reserved/)
    assert.throws(() => sales([perShop, perShop]), /declared twice/)
  })
})

/**
 * A miniature of the runtime's epoch: push a batch, let the pipeline put its window state into the
 * pending changes, write them with the offsets to a state store. A "crash" throws the pipeline away;
 * a new one loads the checkpoint and re-reads every record after it.
 */
describe('gold windows across a crash', () => {
  const topology = sales([
    perShop,
    {
      name: 'visits',
      window: session({ gap: 6 }),
      groupBy: { shop: (s) => s.shop },
      aggregate: { n: count(), ids: distinctCount((s) => s.id) },
      copartitioned: true,
      emit: 'updates',
    },
  ])
  const serde = bindFormat(topology.definition.source.format, memoryRegistry())
  const records: KafkaRecord[] = Array.from({ length: 400 }, (_, i) => {
    // Out of order within the bound, a duplicate every 25th record, three shops, two partitions.
    const ts = i * 2 + ((i * 7) % 3)
    const value = sale(i % 25 === 24 ? i - 1 : i, ['a', 'b', 'c'][i % 3]!, (i % 17) + 0.25, ts)
    return {
      topic: 'sales',
      partition: i % 2,
      offset: String(Math.floor(i / 2)),
      timestamp: ts,
      key: null,
      value: Buffer.from(JSON.stringify(value)),
      headers: {},
    }
  })

  /** With `crashAtEnd` the last batch's rows reach the sinks but its checkpoint is never written. */
  async function run(
    store: MemoryStateStore,
    from: number,
    to: number,
    gold: Map<string, MemorySink<GoldRow>>,
    crashAtEnd = false,
  ) {
    const states = new PartitionStates()
    const pipeline = buildPipeline(
      topology,
      serde as never,
      { rejects: new MemorySink('rejects'), gold, late: new MemorySink('late') },
      { partitions: states, clock: () => 0 },
    )
    for (const p of [0, 1])
      states.set('sales', p, await store.load({ topology: 'sales', topic: 'sales', partition: p }, 1))
    for (let i = from; i < to; i += 20) {
      const batch = records.slice(i, Math.min(i + 20, to)).filter((r) => {
        const resume = states.get(r.topic, r.partition).offset
        return resume === null || BigInt(r.offset) >= BigInt(resume)
      })
      pipeline.push(batch)
      pipeline.checkpoint()
      if (crashAtEnd && i + 20 >= to) return
      await store.commit(
        [0, 1].map((p) => {
          const last = batch.filter((r) => r.partition === p).at(-1)
          const offset = last ? String(Number(last.offset) + 1) : (states.get('sales', p).offset ?? '0')
          states.get('sales', p).offset = offset
          return {
            ref: { topology: 'sales', topic: 'sales', partition: p },
            changes: states.take('sales', p),
            offset,
          }
        }),
        1,
      )
    }
  }

  const latest = (rows: readonly GoldRow[]) => {
    const m = new Map<string, GoldRow>()
    for (const r of rows) {
      const id = `${r.partition}|${r.key}|${r.start}`
      if ((m.get(id)?.version ?? -1) <= r.version) m.set(id, r)
    }
    return [...m.values()].sort((a, b) =>
      `${a.partition}|${a.key}|${a.start}` < `${b.partition}|${b.key}|${b.start}` ? -1 : 1,
    )
  }
  const sinks = () => new Map(['sales_per_shop', 'visits'].map((n) => [n, new MemorySink<GoldRow>(n)]))

  it('restores open windows and watermarks, and the replay writes the rows an unbroken run writes', async () => {
    const whole = sinks()
    await run(new MemoryStateStore(), 0, records.length, whole)

    const store = new MemoryStateStore()
    const crashed = sinks()
    await run(store, 0, 240, crashed, true)
    // The crash lost the state of records 220..239, not their rows; the restart re-reads them.
    await run(store, 200, records.length, crashed)

    for (const name of ['sales_per_shop', 'visits']) {
      const expected = latest(whole.get(name)!.all)
      assert.ok(expected.length > 20, `${name} produced rows`)
      assert.deepEqual(latest(crashed.get(name)!.all), expected, name)
    }
  })
})

describe('draining a bounded input (reprocess)', () => {
  it('closes every open window of every partition, whatever the watermark, once', () => {
    const topology = sales([perShop], 1000)
    const gold = new MemorySink<GoldRow>('gold')
    const states = new PartitionStates()
    for (const p of [0, 1])
      states.set('sales', p, { offset: null, dedup: new Map(), kv: new Map(), meta: {} })
    const pipeline = buildPipeline(
      topology,
      bindFormat(topology.definition.source.format, memoryRegistry()) as never,
      {
        rejects: new MemorySink('rejects'),
        gold: new Map([['sales_per_shop', gold]]),
        late: new MemorySink('late'),
      },
      { partitions: states, clock: () => 0 },
    )
    const record = (partition: number, offset: number, s: Sale): KafkaRecord => ({
      topic: 'sales',
      partition,
      offset: String(offset),
      timestamp: s.ts,
      key: null,
      value: Buffer.from(JSON.stringify(s)),
      headers: {},
    })
    pipeline.push([
      record(0, 7, sale(1, 'a', 10, 1)),
      record(0, 8, sale(2, 'a', 5, 4)),
      record(1, 3, sale(3, 'b', 1, 2)),
    ])
    assert.equal(gold.all.length, 0, 'the watermark closed nothing')
    pipeline.drain()
    assert.deepEqual(
      gold.all.map((r) => [r.partition, r.key, r.start, r.version, (r.accs as { n: number }).n]),
      [
        [0, '["a"]', 0, 9, 2],
        [1, '["b"]', 0, 4, 1],
      ],
    )
    pipeline.drain()
    assert.equal(gold.all.length, 2, 'a window closes once')
  })
})
