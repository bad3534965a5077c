import assert from 'node:assert/strict'
import { test } from 'node:test'
import { orderSchema } from '../../schemas/orders.ts'
import { parseRecordSchema } from '../../src/schema/parse.ts'

test('a schema Tributary can type is taken as it is, attributes it does not read kept', () => {
  const json = { ...JSON.parse(JSON.stringify(orderSchema)), 'connect.name': 'x' }
  assert.equal(parseRecordSchema(json, 'orders-value version 1'), json)
})

test('what RecordSchema cannot say is refused, naming the subject, the field and the fix', () => {
  const withField = (type: unknown) => ({ type: 'record', name: 'A', fields: [{ name: 'f', type }] })
  assert.throws(
    () => parseRecordSchema(withField(['string', 'null']), 's v1'),
    /s v1 field f is the union .*null first/,
  )
  assert.throws(
    () => parseRecordSchema(withField({ type: 'fixed', size: 4, name: 'F' }), 's v1'),
    /field f has type/,
  )
  assert.throws(
    () =>
      parseRecordSchema(
        withField({ type: 'array', items: { type: 'long', logicalType: 'timestamp-micros' } }),
        's',
      ),
    /field f\[\] has type/,
  )
  assert.throws(() => parseRecordSchema(withField('OtherRecord'), 's'), /named type reference; inline/)
  assert.throws(
    () => parseRecordSchema({ type: 'enum', name: 'E', symbols: [] }, 's'),
    /s is not an Avro record/,
  )
})
