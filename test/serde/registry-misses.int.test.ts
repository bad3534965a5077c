// Real services: Schema Registry (Apicurio), through the same HTTP client the engine uses.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { orderSchema } from '../../schemas/orders.ts'
import { avroSerde } from '../../src/serde/avro-serde.ts'
import { confluentRegistry, type SchemaRegistry } from '../../src/serde/registry.ts'
import { stackEndpoints } from '../support/stack.ts'

/** The real registry, with every schemaById call counted (and how many were in flight at once). */
function counted(registry: SchemaRegistry) {
  const calls = new Map<number, number>()
  let inFlight = 0
  let maxInFlight = 0
  return {
    ...registry,
    calls,
    get maxInFlight() {
      return maxInFlight
    },
    async schemaById(id: number) {
      calls.set(id, (calls.get(id) ?? 0) + 1)
      maxInFlight = Math.max(maxInFlight, ++inFlight)
      try {
        return await registry.schemaById(id)
      } finally {
        inFlight--
      }
    },
  }
}

function withSchemaId(id: number): Buffer {
  const b = Buffer.alloc(9)
  b.writeInt32BE(id, 1)
  return b
}

test('unknown schema ids: each distinct id of a batch looked up once, concurrently; misses cached for a bounded time', async () => {
  const { registryUrl } = await stackEndpoints('registry')
  const registry = counted(confluentRegistry(registryUrl))
  let now = 1_000_000
  const serde = avroSerde<{ order_id: string }>(orderSchema, registry, { missTtlMs: 60_000, now: () => now })
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

  await serde.prepare(batch)
  for (const id of unknownIds) assert.equal(registry.calls.get(id), 1, `lookups of schema id ${id}`)
  assert.ok(registry.maxInFlight > 1, `lookups ran one at a time (max in flight ${registry.maxInFlight})`)
  for (const p of batch.slice(1, 4)) {
    if (p === valid) assert.equal(serde.decode(p).value.order_id, 'o-1')
    else assert.throws(() => serde.decode(p), { code: 'UNKNOWN_SCHEMA_ID' })
  }

  await serde.prepare(batch)
  for (const id of unknownIds)
    assert.equal(registry.calls.get(id), 1, `a cached miss was looked up again (${id})`)

  now += 60_001
  await serde.prepare(batch)
  for (const id of unknownIds)
    assert.equal(registry.calls.get(id), 2, `an expired miss was not looked up again (${id})`)
  assert.throws(() => serde.decode(withSchemaId(unknownIds[0]!)), { code: 'UNKNOWN_SCHEMA_ID' })
})
