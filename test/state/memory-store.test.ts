import assert from 'node:assert/strict'
import { test } from 'node:test'
import { checkpointBytes } from '../../src/state/checkpoint-bytes.ts'
import { DedupAdds } from '../../src/state/dedup-adds.ts'
import { MemoryStateStore } from '../../src/state/memory-store.ts'
import { emptyChanges } from '../../src/state/state-store.ts'
import { contractScenario, fencingScenario } from './contract.ts'

const ref = { topology: 't', topic: 'orders', partition: 0 }

test('the memory store keeps the state-store contract', async () => {
  const seen = await contractScenario(new MemoryStateStore(), 't')
  assert.ok(seen.length > 5)
})

test('a loaded state is a copy: mutating it does not change the store', async () => {
  const store = new MemoryStateStore()
  await store.commit([{ ref, offset: '1', changes: { ...emptyChanges(), kvPut: [['k', 'v']] } }], 0)
  const s = await store.load(ref, 0)
  s.kv.set('k', 'mutated')
  s.meta.x = 'y'
  assert.deepEqual([...(await store.load(ref, 0)).kv], [['k', 'v']])
  assert.deepEqual((await store.load(ref, 0)).meta, {})
})

test('a batch with one invalid commit applies none of it', async () => {
  const store = new MemoryStateStore()
  const good = { ref, offset: '5', changes: emptyChanges() }
  const bad = {
    ref: { ...ref, partition: 1 },
    offset: '6',
    changes: { ...emptyChanges(), dedupAdd: DedupAdds.of([['k', Number.NaN]]) },
  }
  await assert.rejects(store.commit([good, bad as typeof good], 0), {
    code: 'STATE_INVALID',
    retriable: false,
  })
  assert.equal((await store.load(ref, 0)).offset, null)
})

test('names that could alias another partition or break the hash tag are refused', async () => {
  const store = new MemoryStateStore()
  for (const bad of [
    { ...ref, topology: 'a|b' },
    { ...ref, topic: '{x}' },
    { ...ref, topology: '' },
    { ...ref, partition: -1 },
    { ...ref, partition: 1.5 },
  ]) {
    await assert.rejects(store.load(bad, 0), { code: 'STATE_INVALID' }, JSON.stringify(bad))
  }
  await assert.rejects(store.commit([{ ref, offset: '-1', changes: emptyChanges() }], 0), {
    code: 'STATE_INVALID',
  })
  await assert.rejects(store.commit([{ ref, offset: '1', changes: emptyChanges() }], Number.NaN), {
    code: 'STATE_INVALID',
  })
})

test('bytes counts the checkpoint payload in UTF-8', () => {
  const bytes = checkpointBytes([
    {
      ref,
      offset: '12',
      changes: {
        dedupAdd: DedupAdds.of([['é', 100]]),
        kvPut: [['k', 'vv']],
        kvDelete: ['gone'],
        meta: { m: 'x' },
      },
    },
  ])
  assert.equal(bytes, 2 + 3 + 1 + 2 + 4 + 1 + 1 + 2)
})

test('a claim fences every earlier holder of the partition', async () => {
  await fencingScenario(new MemoryStateStore(), 't')
})
