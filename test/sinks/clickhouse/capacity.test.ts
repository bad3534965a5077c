import assert from 'node:assert/strict'
import { test } from 'node:test'
import { defineSchema } from '../../../src/schema/types.ts'
import { columnCheck, decimalDigits } from '../../../src/sinks/clickhouse/capacity.ts'

const schema = defineSchema({
  type: 'record',
  name: 'Cap',
  fields: [
    { name: 'price', type: { type: 'bytes', logicalType: 'decimal', precision: 6, scale: 2 } },
    { name: 'qty', type: 'int' },
    { name: 'day', type: ['null', { type: 'int', logicalType: 'date' }], default: null },
    { name: 'at', type: { type: 'long', logicalType: 'timestamp-millis' } },
    { name: 'tags', type: { type: 'array', items: 'int' } },
  ],
})
const ok = { price: 1234.5, qty: 1, day: 0, at: 0, tags: [1] }

test('decimal digits before and after the point, in plain and exponent notation', () => {
  assert.deepEqual(decimalDigits(1234.5), { before: 4, after: 1 })
  assert.deepEqual(decimalDigits(-0.05), { before: 0, after: 2 })
  assert.deepEqual(decimalDigits(1e-7), { before: 0, after: 7 })
  assert.deepEqual(decimalDigits(1.5e21), { before: 22, after: 0 })
  assert.deepEqual(decimalDigits(100), { before: 3, after: 0 })
})

test('values that fit pass; each that does not is named with its field and the column limit', () => {
  for (const dateTime64 of [false, true]) assert.deepEqual(columnCheck(schema, { dateTime64 })(ok), [])
  const check = columnCheck(schema, { dateTime64: true })
  const messages = (r: object) => check({ ...ok, ...r }).map((v) => v.message)
  assert.match(
    messages({ price: 12345.6 })[0]!,
    /price: 12345\.6 has 5 digits before the point; decimal\(6, 2\) holds at most 4/,
  )
  assert.match(
    messages({ price: 1.234 })[0]!,
    /price: 1\.234 has 3 digits after the point; decimal\(6, 2\) holds 2/,
  )
  assert.match(messages({ qty: 2 ** 31 })[0]!, /qty: 2147483648 does not fit Int32/)
  assert.match(messages({ tags: [1, 2 ** 40] })[0]!, /tags\[1\]: 1099511627776 does not fit Int32/)
  assert.match(messages({ day: 65_536 })[0]!, /day: day 65536 is outside the Date range .* 2149-06-06/)
  assert.deepEqual(messages({ day: null }), [])
  assert.match(messages({ at: Date.UTC(9999, 0, 1) })[0]!, /at: timestamp .* outside DateTime64's range/)
})

test('ClickHouse 18.16: Date ends at 2105-12-31; Int64 timestamps hold any safe integer', () => {
  const check = columnCheck(schema, { dateTime64: false })
  assert.equal(check({ ...ok, day: Date.UTC(2106, 0, 1) / 86_400_000 }).length, 1)
  assert.equal(check({ ...ok, at: Date.UTC(9999, 0, 1) }).length, 0)
})
