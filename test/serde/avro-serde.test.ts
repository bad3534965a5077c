import assert from 'node:assert/strict'
import { test } from 'node:test'
import { orderSchema } from '../../schemas/orders.ts'
import { avroSerde } from '../../src/serde/avro-serde.ts'
import { memoryRegistry } from '../../src/serde/registry.ts'

const order = {
  order_id: 'ord-1',
  customer_id: 'c',
  amount: -1234567.89,
  currency: 'EUR',
  status: 'PAID',
  event_time: 1767261600123,
  coupon: 'X',
}

test('decimals and timestamps round-trip through the Confluent wire format', async () => {
  const serde = avroSerde<Record<string, unknown>>(orderSchema, memoryRegistry())
  const bytes = await serde.encode(order as never, 'orders')
  assert.equal(bytes[0], 0)
  await serde.prepare([bytes], 'orders')
  const decoded = serde.decode(bytes, 'orders')
  assert.deepEqual({ ...decoded.value }, order)
  assert.equal(decoded.schemaId, 1)
})

test('a record written with an older schema resolves to the reader schema, defaults filled', async () => {
  const registry = memoryRegistry()
  const older = { ...orderSchema, fields: orderSchema.fields.filter((f) => f.name !== 'coupon') }
  const writer = avroSerde(older, registry)
  const { coupon: _, ...rest } = order
  const bytes = await writer.encode(rest as never, 'orders')
  const reader = avroSerde<Record<string, unknown>>(orderSchema, registry)
  await reader.prepare([bytes], 'orders')
  assert.deepEqual({ ...reader.decode(bytes, 'orders').value }, { ...order, coupon: null })
})

test('an incompatible writer schema is a decode error naming the schema id', async () => {
  const registry = memoryRegistry()
  const other = {
    type: 'record',
    name: 'Order',
    namespace: 'tributary.examples',
    fields: [{ name: 'x', type: 'int' }],
  } as const
  const bytes = await avroSerde(other, registry).encode({ x: 1 } as never, 'orders')
  const reader = avroSerde<Record<string, unknown>>(orderSchema, registry)
  await reader.prepare([bytes], 'orders')
  assert.throws(() => reader.decode(bytes, 'orders'), { code: 'INCOMPATIBLE_SCHEMA', message: /schema id 1/ })
})

test('strings must be UTF-8: a U+FFFD the producer sent is text, invalid bytes are refused naming the field', async () => {
  const serde = avroSerde<Record<string, unknown>>(orderSchema, memoryRegistry())
  const withReplacement = { ...order, customer_id: 'c\uFFFDé' }
  const bytes = await serde.encode(withReplacement as never, 'orders')
  await serde.prepare([bytes], 'orders')
  assert.deepEqual({ ...serde.decode(bytes, 'orders').value }, withReplacement)

  const broken = Buffer.from(await serde.encode(order as never, 'orders'))
  const at = broken.indexOf('ord-1') + 3
  broken[at] = 0xff
  assert.throws(() => serde.decode(broken, 'orders'), {
    code: 'INVALID_UTF8',
    message: new RegExp(`field order_id: byte ${at - 5} of the Avro body \\(0xff\\)`),
  })
})

test('a truncated body, or bytes left after the record, is a decode error saying which', async () => {
  const serde = avroSerde<Record<string, unknown>>(orderSchema, memoryRegistry())
  const bytes = await serde.encode(order as never, 'orders')
  await serde.prepare([bytes], 'orders')
  assert.throws(() => serde.decode(bytes.subarray(0, bytes.length - 1), 'orders'), {
    code: 'AVRO_DECODE_FAILED',
    message: /is not a record of writer schema id 1/,
  })
  assert.throws(() => serde.decode(Buffer.concat([bytes, Buffer.from([2, 4])]), 'orders'), {
    code: 'AVRO_DECODE_FAILED',
    message: /2 bytes left over after the record/,
  })
})
