// Real services: Schema Registry (Apicurio 3, ccompat API), through the same HTTP client the engine uses.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { orderSchema, sampleOrder } from '../../schemas/orders.ts'
import { avroSerde } from '../../src/serde/avro-serde.ts'
import { bindFormat } from '../../src/serde/bind.ts'
import { avro } from '../../src/serde/format.ts'
import { confluentRegistry } from '../../src/serde/registry.ts'
import { countedRegistry } from '../support/counted-registry.ts'
import { uniqueName } from '../support/engine.ts'
import { stackEndpoints } from '../support/stack.ts'

function withSchemaId(id: number): Buffer {
  const b = Buffer.alloc(12)
  b.writeInt32BE(id, 1)
  return b
}

const olderOrderSchema = { ...orderSchema, fields: orderSchema.fields.filter((f) => f.name !== 'coupon') }

test('a batch of random schema ids costs one listing of the subject and no per-id lookup', async () => {
  const { registryUrl } = await stackEndpoints('registry')
  const counted = countedRegistry(confluentRegistry(registryUrl))
  const topic = uniqueName('subject-versions')
  const subject = `${topic}-value`
  const serde = bindFormat(avro(orderSchema), counted.registry)
  const valid = await serde.encode(sampleOrder(1), topic)
  const random = Array.from({ length: 300 }, (_, i) => withSchemaId(1_900_000_000 + i))
  await serde.prepare([valid, ...random], topic)
  assert.equal(counted.listings.get(subject), 1)
  assert.deepEqual([...counted.byId.keys()], [valid.readInt32BE(1)])
  assert.equal(serde.decode(valid, topic).value.order_id, 'ord-1')
  for (const p of random)
    assert.throws(() => serde.decode(p, topic), {
      code: 'UNKNOWN_SCHEMA_ID',
      message: new RegExp(`not a version of subject ${subject}`),
    })
  await serde.prepare([valid], topic)
  assert.equal(counted.listings.get(subject), 1, 'a batch of known ids asked the registry')
})

test('records written with a soft-deleted version still decode: its id stays a version of the subject', async () => {
  const { registryUrl } = await stackEndpoints('registry')
  const registry = confluentRegistry(registryUrl)
  const topic = uniqueName('subject-versions')
  const subject = `${topic}-value`
  await bindFormat(avro(orderSchema), registry).encode(sampleOrder(1), topic)
  const { coupon: _, ...rest } = sampleOrder(2, 0)
  const older = await avroSerde(olderOrderSchema, registry).encode(rest as never, topic)
  const res = await fetch(`${registryUrl}/subjects/${subject}/versions/2`, { method: 'DELETE' })
  assert.equal(res.status, 200, await res.text())
  const serde = bindFormat(avro(orderSchema), registry)
  await serde.prepare([older], topic)
  assert.deepEqual({ ...serde.decode(older, topic).value }, { ...sampleOrder(2, 0), coupon: null })
})
