import assert from 'node:assert/strict'
import { test } from 'node:test'
import { fieldDiff, sameFields } from '../../src/schema/diff.ts'
import type { RecordSchema } from '../../src/schema/types.ts'

const schema = (fields: RecordSchema['fields']): RecordSchema => ({ type: 'record', name: 'A', fields })

test('added, removed and type-changed fields, seen from the first schema', () => {
  const mine = schema([
    { name: 'a', type: 'string' },
    { name: 'b', type: 'int' },
    { name: 't', type: { type: 'long', logicalType: 'timestamp-millis' } },
  ])
  const theirs = schema([
    { name: 'a', type: 'long' },
    { name: 't', type: { logicalType: 'timestamp-millis', type: 'long' } },
    { name: 'c', type: ['null', 'string'], default: null },
  ])
  const d = fieldDiff(mine, theirs)
  assert.deepEqual(d, { added: ['c'], removed: ['b'], typeChanged: ['a'] })
  assert.equal(sameFields(d), false)
  assert.equal(sameFields(fieldDiff(mine, mine)), true)
})
