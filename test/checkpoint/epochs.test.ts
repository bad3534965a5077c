/**
 * The checkpoint protocol with the in-memory twins (source, state store, sinks): the order of an
 * epoch's steps, rebalance deferral, ownership filtering, a crash between each two steps, restore.
 * No services.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { Epochs } from '../../src/checkpoint/epochs.ts'
import { PartitionProgress } from '../../src/checkpoint/progress.ts'
import { StateCheckpoint } from '../../src/checkpoint/state-checkpoint.ts'
import { partitionKey } from '../../src/records/partition.ts'
import { MemorySink } from '../../src/sinks/memory-sink.ts'
import { MemorySource } from '../../src/sources/memory-source.ts'
import { MemoryStateStore } from '../../src/state/memory-store.ts'
import { PartitionStates } from '../../src/state/partition-states.ts'
import type { PartitionCommit } from '../../src/state/state-store.ts'

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
  const rows = new MemorySink<string>('rows')
  const flush = rows.flush.bind(rows)
  const failures = { flush: false, state: false, commit: false }
  rows.flush = async () => {
    if (failures.flush) throw new Error('ClickHouse is down')
    steps.push('flush')
    return flush()
  }
  const durable = {
    load: store.load.bind(store),
    clear: store.clear.bind(store),
    close: store.close.bind(store),
    commit: async (batch: PartitionCommit[], now: number) => {
      if (failures.state) throw Object.assign(new Error('READONLY'), { retriable: false })
      steps.push(`state ${batch.map((c) => `${c.ref.partition}@${c.offset}`).join(',')}`)
      return store.commit(batch, now)
    },
  }
  const states = new PartitionStates()
  const progress = new PartitionProgress()
  const state = new StateCheckpoint({ topology: 't', store: durable, states })
  let rebalancing = false
  const failed: unknown[] = []
  const epochs = new Epochs({
    name: 't',
    sinks: [rows],
    progress,
    state,
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
    /** What the runner does with a batch: resume from state, skip what is durable, add rows and keys. */
    async read(partition: number, from: number, to: number): Promise<number[]> {
      const resume = await state.resume(TOPIC, partition)
      const read: number[] = []
      for (let o = from; o <= to; o++) {
        if (resume.at !== null && BigInt(o) < resume.at) continue
        rows.add(`${partition}:${o}`)
        states.changesFor(TOPIC, partition).dedupAdd.push([`k${o}`, Number.MAX_SAFE_INTEGER])
        read.push(o)
      }
      if (read.length > 0)
        progress.processed({ topic: TOPIC, partition }, String(to), read.length, String(to + 1))
      return read
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
  test('flushes every sink, then writes state with the offsets, then commits them', async () => {
    const g = group()
    const m = g.member()
    await m.read(0, 0, 9)
    assert.equal(m.epochs.due(), true)
    await m.epochs.drain()
    assert.deepEqual(g.steps, ['flush', 'state 0@10', 'commit 0@10'])
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
  })
})

describe('a rebalance', () => {
  test('defers state and offsets; the next epoch after the assignment writes the deferred state first', async () => {
    const g = group()
    const m = g.member()
    await m.read(0, 0, 4)
    m.setRebalancing(true)
    await m.epochs.drain()
    assert.deepEqual(g.steps, ['flush'])
    assert.equal(g.committed(0), undefined)
    m.assign([0])
    await m.read(0, 5, 6)
    await m.epochs.drain()
    assert.deepEqual(g.steps, ['flush', 'flush', 'state 0@5,0@7', 'commit 0@7'])
    assert.equal(g.committed(0), '7')
  })

  test('a partition given away while an epoch lands gets neither state nor a commit from this member', async () => {
    const g = group()
    const m = g.member()
    await m.read(0, 0, 4)
    await m.read(1, 0, 2)
    await m.epochs.start()
    m.assign([1])
    await m.epochs.landed
    assert.deepEqual(g.steps, ['flush', 'state 1@3', 'commit 1@3'])
    assert.equal(g.committed(0), undefined)
    assert.equal((await g.store.load({ topology: 't', topic: TOPIC, partition: 0 }, 0)).offset, null)
  })
})

describe('a crash between two steps', () => {
  test('after a failed flush nothing is written or committed, and the records are read again', async () => {
    const g = group()
    const m = g.member()
    await m.read(0, 0, 4)
    m.failures.flush = true
    await assert.rejects(m.epochs.drain(), /ClickHouse is down/)
    assert.equal(m.failed.length, 1)
    assert.deepEqual(g.steps, [])
    const next = g.member()
    assert.deepEqual(await next.read(0, 0, 4), [0, 1, 2, 3, 4])
  })

  test('after a failed state write nothing is committed; the next owner re-reads from the old offset', async () => {
    const g = group()
    const m = g.member()
    await m.read(0, 0, 4)
    m.failures.state = true
    await assert.rejects(m.epochs.drain(), /READONLY/)
    assert.deepEqual(g.steps, ['flush'])
    assert.equal(g.committed(0), undefined)
    const next = g.member()
    assert.deepEqual(await next.read(0, 0, 4), [0, 1, 2, 3, 4])
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
    assert.deepEqual(g.steps, ['flush', 'state 0@5', 'flush', 'state 0@5', 'commit 0@5'])
  })

  test('after a crash past the state write the next owner skips what is durable', async () => {
    const g = group()
    const m = g.member()
    await m.read(0, 0, 4)
    m.failures.commit = true
    await m.epochs.drain()
    assert.deepEqual(g.steps, ['flush', 'state 0@5'])
    assert.equal(g.committed(0), undefined)
    // Kafka re-delivers from the last commit; restored state says 0..4 are durable already.
    const next = g.member()
    assert.deepEqual(await next.read(0, 0, 6), [5, 6])
    await next.epochs.drain()
    assert.equal(g.committed(0), '7')
  })
})

test('restore: a new member loads the partition state the last epoch wrote', async () => {
  const g = group()
  const m = g.member()
  await m.read(2, 0, 9)
  await m.epochs.drain()
  const state = await g.store.load({ topology: 't', topic: TOPIC, partition: 2 }, 0)
  assert.equal(state.offset, '10')
  assert.equal(state.dedup.size, 10)
})
