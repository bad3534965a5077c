// Real services: the schema registry (Apicurio Registry 3 through its Confluent-compatible API at
// TRIBUTARY_REGISTRY_URL, which already ends in /apis/ccompat/v7).
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry'
import { stackEndpoints, uniqueName } from '../support/stack.ts'

const schemaV1 = (name: string) => ({
  type: 'record',
  name,
  namespace: 'tributary.smoke',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'amount', type: 'double' },
  ],
})

test('registers an Avro schema, encodes with its id, decodes the same record back', async () => {
  const { registryUrl } = await stackEndpoints('registry')
  const registry = new SchemaRegistry({ host: registryUrl })
  const subject = uniqueName('smoke-value')
  const schema = schemaV1(uniqueName('Smoke'))

  const { id } = await registry.register(
    { type: SchemaType.AVRO, schema: JSON.stringify(schema) },
    { subject },
  )
  assert.ok(Number.isInteger(id) && id > 0, `schema id ${id}`)
  assert.equal(await registry.getLatestSchemaId(subject), id)

  const record = { id: 'o-1', amount: 12.5 }
  const payload = await registry.encode(id, record)
  assert.equal(payload[0], 0, 'Confluent wire format: magic byte 0')
  assert.equal(payload.readInt32BE(1), id, 'Confluent wire format: schema id')
  assert.deepEqual({ ...(await registry.decode(payload)) }, record)

  // Registering the same schema again returns the same id; an incompatible change is refused
  // (the stack sets global compatibility to BACKWARD).
  const again = await registry.register(
    { type: SchemaType.AVRO, schema: JSON.stringify(schema) },
    { subject },
  )
  assert.equal(again.id, id)
  const incompatible = { ...schema, fields: [...schema.fields, { name: 'required_new', type: 'string' }] }
  await assert.rejects(
    registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(incompatible) }, { subject }),
    /compatib|409|incompatible/i,
  )
})

test('the registry global compatibility is BACKWARD', async () => {
  const { registryUrl } = await stackEndpoints('registry')
  const res = await fetch(`${registryUrl}/config`)
  assert.equal(res.status, 200)
  const body = (await res.json()) as { compatibilityLevel?: string; compatibility?: string }
  assert.equal(body.compatibilityLevel ?? body.compatibility, 'BACKWARD')
})
