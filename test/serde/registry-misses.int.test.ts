// Real services: Schema Registry (Apicurio), through the same HTTP client the engine uses.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { orderSchema } from '../../schemas/orders.ts'
import { avroSerde } from '../../src/serde/avro-serde.ts'
import { confluentRegistry } from '../../src/serde/registry.ts'
import { countedRegistry } from '../support/counted-registry.ts'
import { stackEndpoints } from '../support/stack.ts'

function withSchemaId(id: number): Buffer {
  const b = Buffer.alloc(9)
  b.writeInt32BE(id, 1)
  return b
}

test("lookup 'any': each distinct unknown id of a batch looked up once, concurrently; misses cached for a bounded time", async () => {
  const { registryUrl } = await stackEndpoints('registry')
  const registry = countedRegistry(confluentRegistry(registryUrl))
  let now = 1_000_000
  const serde = avroSerde<{ order_id: string }>(orderSchema, registry.registry, {
    missTtlMs: 60_000,
    now: () => now,
  })
  const valid = await serde.encode(
    {
      order_id: 'o-1',
      customer_id: 'c',
      amount: 1,
      currency: 'EUR',
      status: 'PAID',
      event_time: 1,
      coupon: null,
    } as never,
    `registry-misses-${process.pid}`,
  )
  // Ids no registry hands out, each twice in the batch, between valid records.
  const unknownIds = Array.from({ length: 24 }, (_, i) => 2_000_000_000 + i)
  const batch = [valid, ...unknownIds.flatMap((id) => [withSchemaId(id), valid, withSchemaId(id)])]

  await serde.prepare(batch, 'orders')
  for (const id of unknownIds) assert.equal(registry.byId.get(id), 1, `lookups of schema id ${id}`)
  assert.ok(registry.maxInFlight > 1, `lookups ran one at a time (max in flight ${registry.maxInFlight})`)
  for (const p of batch.slice(1, 4)) {
    if (p === valid) assert.equal(serde.decode(p, 'orders').value.order_id, 'o-1')
    else assert.throws(() => serde.decode(p, 'orders'), { code: 'UNKNOWN_SCHEMA_ID' })
  }

  await serde.prepare(batch, 'orders')
  for (const id of unknownIds)
    assert.equal(registry.byId.get(id), 1, `a cached miss was looked up again (${id})`)

  now += 60_001
  await serde.prepare(batch, 'orders')
  for (const id of unknownIds)
    assert.equal(registry.byId.get(id), 2, `an expired miss was not looked up again (${id})`)
  assert.throws(() => serde.decode(withSchemaId(unknownIds[0]!), 'orders'), { code: 'UNKNOWN_SCHEMA_ID' })
})
