/**
 * The checkpoint protocol with the in-memory twins (source, state store, sinks): the order of an
 * epoch's steps, rebalance deferral, ownership filtering, a crash between each two steps, restore.
 * No services.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { EpochLedger } from '../../src/checkpoint/epoch-ledger.ts'
import { Epochs } from '../../src/checkpoint/epochs.ts'
import { PartitionProgress } from '../../src/checkpoint/progress.ts'
import { StateCheckpoint } from '../../src/checkpoint/state-checkpoint.ts'
import { partitionKey } from '../../src/records/partition.ts'
import { MemorySink } from '../../src/sinks/memory-sink.ts'
import { MemorySource } from '../../src/sources/memory-source.ts'
import { MemoryStateStore } from '../../src/state/memory-store.ts'
import { PartitionStates } from '../../src/state/partition-states.ts'
import type { PartitionCommit } from '../../src/state/state-store.ts'
import { emptyChanges } from '../../src/state/state-store.ts'

const TOPIC = 'orders'
const policy = {
  maxInFlightRecords: 1_000,
  flushIntervalMs: 1_000,
  minFlushIntervalMs: 0,
  maxBatchRows: 1_000,
}

/** A member of the group: its own progress and in-process state, over a shared store and source. */
function member(shared: { store: MemoryStateStore; source: MemorySource; steps: string[] }) {
  const { store, source, steps } = shared
  const rows = new MemorySink<string>('rows', (row) => ({
    topic: TOPIC,
    partition: Number(row.split(':')[0]),
  }))
  const flush = rows.flush.bind(rows)
  const failures = { flush: false, state: false, commit: false }
  rows.flush = async (blocks, ready) => {
    if (failures.flush) throw new Error('ClickHouse is down')
    const result = await flush(blocks, ready)
    steps.push(`flush ${[...blocks.values()].map((b) => b.id).join(',')}`)
    return result
  }
  const durable = {
    load: store.load.bind(store),
    clear: store.clear.bind(store),
    close: store.close.bind(store),
    commit: async (batch: PartitionCommit[], now: number) => {
      if (failures.state && batch.some((c) => !c.changes.meta.intent))
        throw Object.assign(new Error('READONLY'), { retriable: false })
      steps.push(
        batch
          .map((c) => {
            const intent = c.changes.meta.intent
            if (!intent) return `state ${c.ref.partition}@${c.offset}`
            const { n, from, to } = JSON.parse(intent) as { n: number; from: string; to: string }
            return `intend ${c.ref.partition}:${n}:${from}-${to}`
          })
          .join(' + '),
      )
      return store.commit(batch, now)
    },
  }
  const states = new PartitionStates()
  const progress = new PartitionProgress()
  const ledger = new EpochLedger(() => 1_000)
  const state = new StateCheckpoint({ topology: 't', store: durable, states, ledger })
  let rebalancing = false
  const failed: unknown[] = []
  const epochs = new Epochs({
    name: 't',
    sinks: [rows],
    progress,
    state,
    ledger,
    policy,
    prepare: () => {},
    rebalancing: () => rebalancing,
    commit: async (offsets) => {
      if (failures.commit) return 'failed'
      steps.push(`commit ${offsets.map((o) => `${o.partition}@${o.offset}`).join(',')}`)
      return source.commit(offsets)
    },
    onFailed: async (err) => void failed.push(err),
  })
  return {
    rows,
    failures,
    failed,
    epochs,
    progress,
    setRebalancing: (on: boolean) => {
      rebalancing = on
    },
    /**
     * What the runner does with a batch: resume from state, skip what is durable, cut where an
     * epoch recorded before a crash ends, add rows and keys.
     */
    async read(partition: number, from: number, to: number): Promise<number[]> {
      const resume = await state.resume(TOPIC, partition)
      const offsets: number[] = []
      for (let o = from; o <= to; o++) if (resume.at === null || BigInt(o) >= resume.at) offsets.push(o)
      const push = (part: number[]) => {
        for (const o of part) {
          rows.add(`${partition}:${o}`)
          states.changesFor(TOPIC, partition).dedupAdd.add(`k${o}`, Number.MAX_SAFE_INTEGER)
        }
        if (part.length > 0)
          progress.processed(
            { topic: TOPIC, partition },
            String(part[0]),
            String(part[part.length - 1]),
            part.length,
            String(to + 1),
          )
      }
      if (offsets.length === 0 && resume.at !== null)
        progress.durable({ topic: TOPIC, partition }, String(resume.at))
      const cut = ledger.replayCut(TOPIC, partition, offsets.map(String))
      if (cut === null) push(offsets)
      else {
        push(offsets.slice(0, cut))
        await epochs.start()
        push(offsets.slice(cut))
      }
      return offsets
    },
    assign(partitions: number[]) {
      rebalancing = false
      const owned = partitions.map((partition) => ({ topic: TOPIC, partition }))
      progress.assigned(owned)
      const keys = new Set(owned.map((p) => partitionKey(p.topic, p.partition)))
      state.retainOnly(keys)
      states.retainOnly(keys)
    },
  }
}

function group() {
  const shared = { store: new MemoryStateStore(), source: new MemorySource(), steps: [] as string[] }
  const committed = (partition: number) => shared.source.committed.get(partitionKey(TOPIC, partition))
  return { ...shared, committed, member: () => member(shared) }
}

describe('an epoch', () => {
  test('records its intent, flushes one block per partition named after it, writes state, then commits', async () => {
    const g = group()
    const m = g.member()
    await m.read(0, 0, 9)
    assert.equal(m.epochs.due(), true)
    await m.epochs.drain()
    assert.deepEqual(g.steps, ['intend 0:0:0-9', 'flush 0:0-9', 'state 0@10', 'commit 0@10'])
    assert.equal(g.committed(0), '10')
    assert.equal(m.rows.flushed.length, 10)
    assert.equal(m.epochs.due(), false)
  })

  test('fixes what it covers when it starts: records read while it lands belong to the next', async () => {
    const g = group()
    const m = g.member()
    await m.read(0, 0, 4)
    await m.epochs.start()
    await m.read(0, 5, 7)
    await m.epochs.landed
    assert.equal(g.committed(0), '5')
    assert.equal(m.rows.pending, 3)
    await m.epochs.drain()
    assert.equal(g.committed(0), '8')
    assert.deepEqual(
      g.steps.filter((s) => s.startsWith('flush')),
      ['flush 0:0-4', 'flush 1:5-7'],
    )
  })
})

describe('a rebalance', () => {
  test('no epoch starts while the group rebalances; the first after the assignment covers what was held', async () => {
    const g = group()
    const m = g.member()
    await m.read(0, 0, 4)
    m.setRebalancing(true)
    await m.epochs.drain()
    assert.deepEqual(g.steps, [])
    m.assign([0])
    await m.read(0, 5, 6)
    await m.epochs.drain()
    assert.deepEqual(g.steps, ['intend 0:0:0-6', 'flush 0:0-6', 'state 0@7', 'commit 0@7'])
  })

  test('one that begins while an epoch lands defers its state and offsets, written before the next intent', async () => {
    const g = group()
    const m = g.member()
    await m.read(0, 0, 4)
    await m.epochs.start()
    m.setRebalancing(true)
    await m.epochs.landed
    assert.deepEqual(g.steps, ['intend 0:0:0-4', 'flush 0:0-4'])
    assert.equal(g.committed(0), undefined)
    m.assign([0])
    await m.read(0, 5, 6)
    await m.epochs.drain()
    assert.deepEqual(g.steps.slice(2), [
      'state 0@5 + intend 0:1:5-6',
      'flush 1:5-6',
      'state 0@7',
      'commit 0@7',
    ])
    assert.equal(g.committed(0), '7')
  })

  test('a partition given away while an epoch lands gets neither state nor a commit; its intent stays for the next owner', async () => {
    const g = group()
    const m = g.member()
    await m.read(0, 0, 4)
    await m.read(1, 0, 2)
    await m.epochs.start()
    m.assign([1])
    await m.epochs.landed
    assert.deepEqual(g.steps, [
      'intend 0:0:0-4 + intend 1:0:0-2',
      'flush 0:0-4,0:0-2',
      'state 1@3',
      'commit 1@3',
    ])
    assert.equal(g.committed(0), undefined)
    const left = await g.store.load({ topology: 't', topic: TOPIC, partition: 0 }, 0)
    assert.equal(left.offset, '0')
    assert.match(left.meta.intent ?? '', /"from":"0","to":"4"/)
  })
})

describe('a crash between two steps', () => {
  test('before the intent is recorded: nothing was written, and the next owner forms its own epoch', async () => {
    const g = group()
    const m = g.member()
    await m.read(0, 0, 4)
    const next = g.member()
    assert.deepEqual(await next.read(0, 0, 6), [0, 1, 2, 3, 4, 5, 6])
    await next.epochs.drain()
    assert.deepEqual(g.steps, ['intend 0:0:0-6', 'flush 0:0-6', 'state 0@7', 'commit 0@7'])
  })

  test('after the intent, before the flush: the next owner re-forms the recorded block, however its batch is cut', async () => {
    const g = group()
    const m = g.member()
    await m.read(0, 0, 4)
    m.failures.flush = true
    await assert.rejects(m.epochs.drain(), /ClickHouse is down/)
    assert.equal(m.failed.length, 1)
    assert.deepEqual(g.steps, ['intend 0:0:0-4'])
    const next = g.member()
    assert.deepEqual(await next.read(0, 0, 9), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    await next.epochs.drain()
    assert.deepEqual(g.steps.slice(1), [
      'intend 0:0:0-4',
      'flush 0:0-4',
      'state 0@5',
      'commit 0@5',
      'intend 0:1:5-9',
      'flush 1:5-9',
      'state 0@10',
      'commit 0@10',
    ])
  })

  test('after the flush, before the state: the replay writes the very same block again (the target drops it)', async () => {
    const g = group()
    const m = g.member()
    await m.read(0, 0, 4)
    m.failures.state = true
    await assert.rejects(m.epochs.drain(), /READONLY/)
    assert.deepEqual(g.steps, ['intend 0:0:0-4', 'flush 0:0-4'])
    assert.equal(g.committed(0), undefined)
    const next = g.member()
    // The replayed records arrive in smaller batches this time: the epoch still ends at 4.
    await next.read(0, 0, 2)
    assert.equal(next.epochs.due(), true)
    await next.epochs.start()
    await next.epochs.landed
    assert.deepEqual(g.steps.slice(2), [], 'a partition short of its recorded end stays out of epochs')
    await next.read(0, 3, 6)
    await next.epochs.drain()
    assert.deepEqual(g.steps.slice(2), [
      'intend 0:0:0-4',
      'flush 0:0-4',
      'state 0@5',
      'commit 0@5',
      'intend 0:1:5-6',
      'flush 1:5-6',
      'state 0@7',
      'commit 0@7',
    ])
    assert.deepEqual(next.rows.flushed.slice(0, 5), m.rows.flushed, 'the same rows in the same block')
  })

  test('a failed commit is no failure: the offsets stay pending and are committed again', async () => {
    const g = group()
    const m = g.member()
    await m.read(0, 0, 4)
    m.failures.commit = true
    await m.epochs.drain()
    assert.deepEqual(m.failed, [])
    assert.equal(g.committed(0), undefined)
    assert.equal(m.epochs.due(), false, 'not before the flush interval')
    m.failures.commit = false
    await m.epochs.drain()
    assert.equal(g.committed(0), '5')
  })

  test('after the state write, before the commit: the next owner skips what is durable', async () => {
    const g = group()
    const m = g.member()
    await m.read(0, 0, 4)
    m.failures.commit = true
    await m.epochs.drain()
    assert.deepEqual(g.steps, ['intend 0:0:0-4', 'flush 0:0-4', 'state 0@5'])
    // Kafka re-delivers from the last commit; restored state says 0..4 are durable already.
    const next = g.member()
    assert.deepEqual(await next.read(0, 0, 6), [5, 6])
    await next.epochs.drain()
    assert.equal(g.committed(0), '7')
    assert.deepEqual(g.steps.slice(3), ['intend 0:1:5-6', 'flush 1:5-6', 'state 0@7', 'commit 0@7'])
  })
})

test('a batch wholly below the checkpoint still gets the checkpointed offset committed to Kafka', async () => {
  const g = group()
  const m = g.member()
  await m.read(0, 0, 4)
  m.failures.commit = true
  await m.epochs.drain()
  assert.equal(g.committed(0), undefined, 'the state holds 5, Kafka nothing')
  // Kafka re-delivers 0..4; all of it is durable already, and nothing new arrives.
  const next = g.member()
  assert.deepEqual(await next.read(0, 0, 4), [])
  await next.epochs.drain()
  assert.equal(g.committed(0), '5', 'lag tools see the partition consumed')
})

test('restore: a new member loads the partition state the last epoch wrote', async () => {
  const g = group()
  const m = g.member()
  await m.read(2, 0, 9)
  await m.epochs.drain()
  const state = await g.store.load({ topology: 't', topic: TOPIC, partition: 2 }, 0)
  assert.equal(state.offset, '10')
  assert.equal(state.dedup.size, 10)
  assert.equal(state.meta.intent, '')
  assert.equal(state.meta.epoch, '1')
})

describe('an intent that cannot be re-formed', () => {
  test('one that covers no records (an idle tick) is given up, and its number is not reused', async () => {
    const g = group()
    const owner = g.member()
    await owner.read(0, 0, 4)
    await owner.epochs.drain()
    // An epoch of rows an idle tick made, recorded but never finished.
    await g.store.commit(
      [
        {
          ref: { topology: 't', topic: TOPIC, partition: 0 },
          changes: {
            ...emptyChanges(),
            meta: { intent: JSON.stringify({ n: 1, from: '5', to: '4', ingestTime: 1 }) },
          },
          offset: '5',
        },
      ],
      0,
    )
    const next = g.member()
    assert.deepEqual(await next.read(0, 0, 7), [5, 6, 7])
    await next.epochs.drain()
    assert.deepEqual(g.steps.slice(4), ['intend 0:2:5-7', 'flush 2:5-7', 'state 0@8', 'commit 0@8'])
  })
})
