import assert from 'node:assert/strict'
import { test } from 'node:test'
import { partitionKey } from '../../src/records/partition.ts'
import { PartitionStates } from '../../src/state/partition-states.ts'

const fresh = () => ({ offset: null, dedup: new Map(), kv: new Map(), meta: {} })

test('changes made after a take go to the next take, not into the one handed over', () => {
  const states = new PartitionStates()
  states.set('t', 0, fresh())
  states.changesFor('t', 0).dedupAdd.add('a', 1)
  const first = states.take('t', 0)
  states.changesFor('t', 0).dedupAdd.add('b', 2)
  assert.deepEqual([...first.dedupAdd], [['a', 1]])
  assert.deepEqual([...states.take('t', 0).dedupAdd], [['b', 2]])
})

test('lookups answer for the partition asked, whatever was asked before', () => {
  const states = new PartitionStates()
  const s0 = fresh()
  const s1 = fresh()
  states.set('t', 0, s0)
  states.set('t', 1, s1)
  states.set('u', 0, fresh())
  assert.equal(states.get('t', 0), s0)
  assert.equal(states.get('t', 1), s1)
  assert.notEqual(states.get('u', 0), s0)
  states.changesFor('t', 0).kvDelete.push('x')
  states.changesFor('t', 1).kvDelete.push('y')
  assert.deepEqual(states.take('t', 0).kvDelete, ['x'])
  assert.deepEqual(states.take('t', 1).kvDelete, ['y'])
})

test('a partition given up in a rebalance is forgotten, cached or not', () => {
  const states = new PartitionStates()
  states.set('t', 0, fresh())
  states.set('t', 1, fresh())
  states.get('t', 0)
  states.changesFor('t', 0).dedupAdd.add('a', 1)
  states.retainOnly(new Set([partitionKey('t', 1)]))
  assert.equal(states.has('t', 0), false)
  assert.throws(() => states.get('t', 0), /not loaded/)
  assert.deepEqual(states.withChanges(), [])
})

test('dedup keys of all partitions share one bound; a partition loaded again starts from its loaded keys only', () => {
  const states = new PartitionStates({ maxDedupKeys: 100 })
  states.set('t', 0, { ...fresh(), dedup: new Map([['loaded', 50]]) })
  states.set('t', 1, fresh())
  assert.equal(states.seen('t', 0, 'loaded'), 50)
  assert.equal(states.seen('t', 1, 'loaded'), undefined)
  for (let i = 0; i < 1_000; i++) assert.equal(states.admit('t', i % 2, `k${i}`, 0, 10), true)
  assert.ok(states.dedup().keys <= 100)
  assert.equal(states.dedup().maxKeys, 100)
  assert.equal(states.dedup().evicted + states.dedup().keys, 1_001)
  assert.equal(states.seen('t', 1, 'k999'), 10)
  states.retainOnly(new Set([partitionKey('t', 0)]))
  states.set('t', 1, fresh())
  assert.equal(states.seen('t', 1, 'k999'), undefined, 'held before the partition left: not its state now')
})

test('each partition loads its share of half the bound, so loads never push out each other', () => {
  const states = new PartitionStates({ maxDedupKeys: 1_000 })
  assert.equal(states.dedupLoadLimit, 500)
  states.retainOnly(new Set([0, 1, 2, 3].map((p) => partitionKey('t', p))))
  assert.equal(states.dedupLoadLimit, 125)
})

test('an admitted key is a change for the next checkpoint, with its UTF-8 bytes; a duplicate is not', () => {
  const states = new PartitionStates()
  states.set('t', 0, fresh())
  const keys = ['evt-1', 'é🦆', 'lone \ud800', 'evt-1']
  const admitted = keys.map((k) => states.admit('t', 0, k, 0, 1_764_000_000_000))
  assert.deepEqual(admitted, [true, true, true, false])
  const adds = states.take('t', 0).dedupAdd
  assert.deepEqual(
    [...adds],
    keys.slice(0, 3).map((k) => [k, 1_764_000_000_000]),
  )
  assert.equal(
    adds.bytes,
    keys.slice(0, 3).reduce((n, k) => n + Buffer.byteLength(k) + 13, 0),
  )
})
