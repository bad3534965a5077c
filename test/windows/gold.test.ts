import assert from 'node:assert/strict'
import { test } from 'node:test'
import { groupKeyOf, keyValues } from '../../src/windows/gold.ts'
import { tumbling } from '../../src/windows/window-spec.ts'

interface Row {
  country: string
  kind: string
}

const gold = {
  name: 'per_country_kind',
  window: tumbling({ size: '1m' }),
  groupBy: { country: (r: Row) => r.country, kind: (r: Row) => r.kind },
  aggregate: {},
}

test('a group key is the same text for the same values, unambiguous whatever they contain', () => {
  const key = groupKeyOf(gold)
  const rows: Row[] = [
    { country: 'BR', kind: 'click' },
    { country: 'BR', kind: 'click' },
    { country: 'B', kind: 'Rclick' },
    { country: 'a","b', kind: '' },
    { country: 'a', kind: 'b",""' },
  ]
  const keys = rows.map(key)
  assert.deepEqual(
    keys.map(keyValues),
    rows.map((r) => [r.country, r.kind]),
  )
  assert.equal(new Set(keys).size, 4)
  assert.equal(keys[0], keys[1])
})

test('past the groups it remembers, keys are still made right', () => {
  const key = groupKeyOf(gold)
  for (let round = 0; round < 2; round++)
    for (let i = 0; i < 25_000; i++) {
      const r = { country: `c${i}`, kind: String(i % 3) }
      assert.deepEqual(keyValues(key(r)), [r.country, r.kind])
    }
})
