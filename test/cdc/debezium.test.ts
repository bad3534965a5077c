import assert from 'node:assert/strict'
import { test } from 'node:test'
import { customerSchema } from '../../schemas/customers.ts'
import { debezium, unwrapChange } from '../../src/cdc/debezium.ts'
import { envelopeReader } from '../../src/cdc/debezium-avro.ts'
import { avroType } from '../../src/serde/avro-types.ts'
import { bindSource } from '../../src/serde/bind.ts'
import { avro } from '../../src/serde/format.ts'
import { memoryRegistry } from '../../src/serde/registry.ts'

const stream = debezium({ key: 'id', version: 'source.lsn' })
const row = { id: 7, name: 'Ann' }
const change = (op: string, before: unknown, after: unknown, lsn: unknown = 100) => ({
  before,
  after,
  op,
  ts_ms: 1,
  source: { lsn },
})

test('creates, updates and snapshot reads are upserts of their after image, versioned by the path', () => {
  for (const op of ['c', 'u', 'r'] as const)
    assert.deepEqual(unwrapChange(stream, change(op, null, row), null), {
      kind: 'upsert',
      op,
      row,
      version: '100',
    })
})

test('the JSON converter with schemas: the payload is the change', () => {
  const withSchema = { schema: { type: 'struct' }, payload: change('u', row, row, 5) }
  assert.deepEqual(unwrapChange(stream, withSchema, null), { kind: 'upsert', op: 'u', row, version: '5' })
})

test('a delete keeps only its key, from the before image or else the JSON Kafka key', () => {
  assert.deepEqual(unwrapChange(stream, change('d', row, null), null), {
    kind: 'delete',
    key: { id: 7 },
    version: '100',
  })
  assert.deepEqual(
    unwrapChange(stream, change('d', null, null), Buffer.from('{"schema":{},"payload":{"id":9}}')),
    {
      kind: 'delete',
      key: { id: 9 },
      version: '100',
    },
  )
  const missing = unwrapChange(stream, change('d', { name: 'x' }, null), Buffer.from('not json'))
  assert.equal(missing.kind === 'invalid' && missing.code, 'CDC_KEY_MISSING')
})

test('versions: unsigned 64-bit integers as numbers, bigints or digits; anything else is refused', () => {
  const v = (lsn: unknown) => unwrapChange(stream, change('c', null, row, lsn), null)
  assert.equal((v(0) as { version: string }).version, '0')
  assert.equal((v(18446744073709551615n) as { version: string }).version, '18446744073709551615')
  assert.equal((v('00042') as { version: string }).version, '42')
  for (const bad of [-1, 1.5, '18446744073709551616', null, {}, 'abc', 2 ** 60]) {
    const got = v(bad)
    assert.equal(got.kind === 'invalid' && got.code, 'CDC_VERSION_INVALID', String(bad))
  }
  const byFunction = debezium({ key: ['id'], version: (c) => (c.source?.lsn as number) * 2 })
  assert.equal(
    (unwrapChange(byFunction, change('c', null, row, 21), null) as { version: string }).version,
    '42',
  )
})

test('what is not a row change is refused with its reason', () => {
  const code = (v: unknown) => {
    const got = unwrapChange(stream, v, null)
    return got.kind === 'invalid' ? got.code : got.kind
  }
  assert.equal(code({ id: 1 }), 'CDC_NOT_AN_ENVELOPE')
  assert.equal(code(change('t', null, null)), 'CDC_UNSUPPORTED_OP')
  assert.equal(code(change('u', row, null)), 'CDC_AFTER_MISSING')
})

test('Avro: changes written under the connector names are read into the topology row schema', async () => {
  const value = {
    type: 'record',
    name: 'Value',
    fields: [
      { name: 'id', type: 'long' },
      { name: 'name', type: 'string' },
      { name: 'country', type: 'string' },
      { name: 'tier', type: 'string' },
      { name: 'updated_at', type: { type: 'long', logicalType: 'timestamp-millis' } },
    ],
  }
  const writer = {
    type: 'record',
    name: 'Envelope',
    namespace: 'dbserver1.public.customers',
    fields: [
      { name: 'before', type: ['null', value], default: null },
      { name: 'after', type: ['null', 'Value'], default: null },
      {
        name: 'source',
        type: {
          type: 'record',
          name: 'Source',
          namespace: 'io.debezium.connector.postgresql',
          fields: [
            { name: 'db', type: 'string' },
            { name: 'lsn', type: ['null', 'long'], default: null },
          ],
        },
      },
      { name: 'op', type: 'string' },
      { name: 'ts_ms', type: ['null', 'long'], default: null },
    ],
  }
  // The row schema has a newer optional field (email): it gets its default, as for plain records.
  const registry = memoryRegistry()
  const id = await registry.register('customers-value', writer as never)
  const after = { id: 3, name: 'Bo', country: 'PT', tier: 'pro', updated_at: 5 }
  const body = avroType(writer).toBuffer({
    before: null,
    after,
    source: { db: 'shop', lsn: 77 },
    op: 'c',
    ts_ms: 1,
  })
  const header = Buffer.alloc(5)
  header.writeInt32BE(id, 1)
  const serde = bindSource({ format: avro(customerSchema), changes: stream }, registry)
  const payload = Buffer.concat([header, body])
  await serde.prepare([payload], 'customers')
  const got = unwrapChange(stream, serde.decode(payload, 'customers').value, null)
  assert.deepEqual(got.kind === 'upsert' && { ...(got.row as object) }, { ...after, email: null })
  assert.equal(got.kind === 'upsert' && got.version, '77')
  assert.throws(
    () => envelopeReader(customerSchema, { type: 'record', name: 'X', fields: [] }),
    /not a Debezium envelope/,
  )
})
