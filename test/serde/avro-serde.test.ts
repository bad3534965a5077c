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
