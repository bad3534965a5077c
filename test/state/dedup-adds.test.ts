import assert from 'node:assert/strict'
import { test } from 'node:test'
import { DedupAdds } from '../../src/state/dedup-adds.ts'

test('keys and expiries stay paired, in the order added', () => {
  const adds = new DedupAdds()
  adds.add('b', 2000)
  adds.add('a', 1_764_000_000_000.5)
  adds.add('b', 3000)
  assert.equal(adds.size, 3)
  assert.deepEqual(adds.keys, ['b', 'a', 'b'])
  assert.deepEqual(adds.expiries, [2000, 1_764_000_000_000.5, 3000])
  assert.deepEqual(
    [...adds],
    [
      ['b', 2000],
      ['a', 1_764_000_000_000.5],
      ['b', 3000],
    ],
  )
  assert.deepEqual([...DedupAdds.of(adds)], [...adds])
})

test('bytes counts the keys in UTF-8 and the expiries as decimal text, as they are added', () => {
  const entries: [string, number][] = [
    ['evt-1', 1_764_000_000_000],
    ['é🦆', 5],
    ['', -12],
  ]
  const adds = DedupAdds.of(entries)
  assert.equal(
    adds.bytes,
    entries.reduce((n, [key, expiresAt]) => n + Buffer.byteLength(key) + String(expiresAt).length, 0),
  )
})
