import assert from 'node:assert/strict'
import { test } from 'node:test'
import { orderSchema, sampleOrder } from '../../schemas/orders.ts'
import { ConfigError, DecodeError } from '../../src/errors/tributary-error.ts'
import { avroSerde } from '../../src/serde/avro-serde.ts'
import { bindFormat } from '../../src/serde/bind.ts'
import { avro } from '../../src/serde/format.ts'
import { memoryRegistry, type SchemaRegistry } from '../../src/serde/registry.ts'
import { SubjectVersions } from '../../src/serde/subject-versions.ts'
import { countedRegistry } from '../support/counted-registry.ts'

const TOPIC = 'orders'
const SUBJECT = 'orders-value'

function withSchemaId(id: number): Buffer {
  const b = Buffer.alloc(12)
  b.writeInt32BE(id, 1)
  return b
}

function codeOf(fn: () => unknown): string {
  try {
    fn()
  } catch (err) {
    assert.ok(err instanceof DecodeError, String(err))
    return err.code
  }
  return 'decoded'
}

/** The orders schema without its optional `coupon`: an older, compatible writer schema. */
const olderOrderSchema = { ...orderSchema, fields: orderSchema.fields.filter((f) => f.name !== 'coupon') }

test('random schema ids cost no per-id lookup: one subject refresh per batch, however many distinct ids', async () => {
  const counted = countedRegistry(memoryRegistry())
  const serde = bindFormat(avro(orderSchema), counted.registry)
  const valid = await serde.encode(sampleOrder(1), TOPIC)
  const validId = valid.readInt32BE(1)
  for (let batch = 0; batch < 3; batch++) {
    const random = Array.from({ length: 500 }, (_, i) => withSchemaId(1_000_000 + batch * 1_000 + i))
    const payloads = [valid, ...random, valid]
    await serde.prepare(payloads, TOPIC)
    assert.equal(counted.listings.get(SUBJECT), batch + 1, `subject refreshes after batch ${batch}`)
    assert.deepEqual([...counted.byId.keys()], [validId], 'schema ids looked up one by one')
    assert.equal(serde.decode(valid, TOPIC).value.order_id, 'ord-1')
    for (const p of random)
      assert.equal(
        codeOf(() => serde.decode(p, TOPIC)),
        'UNKNOWN_SCHEMA_ID',
      )
  }
  assert.throws(() => serde.decode(withSchemaId(1_000_000), TOPIC), {
    message: /schema id 1000000 is not a version of subject orders-value.*lookup to 'any'/,
  })
  // A batch whose ids are all versions of the subject asks the registry nothing.
  await serde.prepare([valid, valid], TOPIC)
  assert.equal(counted.listings.get(SUBJECT), 3)
})

test('a version registered after the serde started is accepted by the next batch that carries it', async () => {
  const registry = memoryRegistry()
  const serde = bindFormat(avro(orderSchema), registry)
  const current = await serde.encode(sampleOrder(1), TOPIC)
  await serde.prepare([current, withSchemaId(999)], TOPIC)
  const { coupon: _, ...rest } = sampleOrder(2, 0)
  const older = await avroSerde(olderOrderSchema, registry).encode(rest as never, TOPIC)
  assert.notEqual(older.readInt32BE(1), current.readInt32BE(1))
  await serde.prepare([older], TOPIC)
  assert.deepEqual({ ...serde.decode(older, TOPIC).value }, { ...sampleOrder(2, 0), coupon: null })
})

test("an id registered under another subject is rejected by default and read with lookup 'any'", async () => {
  const registry = memoryRegistry()
  const { coupon: _, ...rest } = sampleOrder(3)
  // What a producer using RecordNameStrategy writes: the schema registered under the record's name.
  const foreign = await avroSerde(olderOrderSchema, registry, {
    subject: () => 'tributary.examples.Order',
  }).encode(rest as never, TOPIC)
  const bySubject = bindFormat(avro(orderSchema), registry)
  await bySubject.prepare([foreign], TOPIC)
  assert.throws(() => bySubject.decode(foreign, TOPIC), {
    code: 'UNKNOWN_SCHEMA_ID',
    message: /not a version of subject orders-value/,
  })
  const anyId = bindFormat(avro(orderSchema, { lookup: 'any' }), registry)
  await anyId.prepare([foreign], TOPIC)
  assert.equal(anyId.decode(foreign, TOPIC).value.order_id, 'ord-3')
})

test('each topic of a topology is checked against its own subject', async () => {
  const registry = memoryRegistry()
  const serde = bindFormat(avro(orderSchema), registry)
  const onA = await serde.encode(sampleOrder(1), 'orders-a')
  await serde.prepare([onA], 'orders-a')
  await serde.prepare([onA], 'orders-b')
  assert.equal(serde.decode(onA, 'orders-a').value.order_id, 'ord-1')
  assert.throws(() => serde.decode(onA, 'orders-b'), { message: /subject orders-b-value/ })
})

test('a lookup other than subject or any fails at definition, naming the field and the fix', () => {
  assert.throws(
    () => avro(orderSchema, { lookup: 'record' as never }),
    (err) =>
      err instanceof ConfigError &&
      err.field === 'avro(Order).lookup' &&
      /"record" is not a schema lookup.*'subject'.*'any'/.test(err.message),
  )
})

/** A registry whose version listing is read at call time but answered only when released. */
function slowListings(registry: SchemaRegistry) {
  const releases: (() => void)[] = []
  let calls = 0
  return {
    get calls() {
      return calls
    },
    release: () => releases.shift()!(),
    registry: {
      ...registry,
      async subjectVersions(subject: string) {
        calls++
        const versions = await registry.subjectVersions(subject)
        await new Promise<void>((r) => releases.push(r))
        return versions
      },
    } satisfies SchemaRegistry,
  }
}

test('a refresh already in flight is not trusted for a later caller; callers arriving meanwhile share the next one', async () => {
  const registry = memoryRegistry()
  const slow = slowListings(registry)
  const versions = new SubjectVersions(slow.registry, SUBJECT)
  const early = versions.refresh()
  const id = await registry.register(SUBJECT, orderSchema)
  // Both arrive after the registration, while the early listing (taken before it) is in flight.
  const late = [versions.refresh(), versions.refresh()]
  slow.release()
  await early
  assert.equal(versions.has(id), false, 'the early listing predates the registration')
  await new Promise<void>((resolve) => {
    const check = () => (slow.calls === 2 ? resolve() : setImmediate(check))
    check()
  })
  slow.release()
  await Promise.all(late)
  assert.equal(versions.has(id), true)
  assert.equal(slow.calls, 2, 'the two late callers shared one refresh')
})
