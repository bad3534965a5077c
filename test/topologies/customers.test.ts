import assert from 'node:assert/strict'
import { test } from 'node:test'
import { sampleCustomer } from '../../schemas/customers.ts'
import { changeEvent } from '../../src/cdc/generate.ts'
import { count, debezium, defineTopology, TopologyTestDriver, tumbling } from '../../src/index.ts'
import customers from '../../topologies/customers.ts'

test('customers: a change becomes its after image with op and version; a delete its key; a tombstone nothing', async () => {
  const d = new TopologyTestDriver(customers)
  const row = sampleCustomer(1, 0)
  await d.pipe(changeEvent('customers', 'c', null, row, 1, 0) as never)
  await d.pipe(changeEvent('customers', 'd', row, null, 2, 0) as never)
  await d.pipeBytes(null, { key: '{"id":2}' })
  const silver = d.silverEnvelopes()
  assert.deepEqual(
    silver.map((e) => e.change),
    [
      { op: 'c', version: '22000008', deleted: false },
      { op: 'd', version: '22000016', deleted: true },
    ],
  )
  assert.deepEqual({ ...silver[0]!.value }, row)
  assert.deepEqual(silver[1]!.value, { id: row.id })
  assert.equal(d.stats.tombstones, 1)
  assert.equal(d.rejected().length, 0)
})

test('a change stream key must be non-nullable fields of the schema, and gold is refused', () => {
  const d = customers.definition
  const redefine =
    (changes: unknown, extra: object = {}) =>
    () =>
      defineTopology({ ...d, ...extra, source: { ...d.source, changes: changes as never } })
  assert.throws(redefine(debezium({ key: 'email', version: 'source.lsn' })), /email is nullable/)
  assert.throws(
    redefine({ ...debezium({ key: 'id', version: 'source.lsn' }), key: ['nope'] }),
    /"nope" is not a field/,
  )
  const gold = [{ name: 'g', window: tumbling({ size: '1m' }), groupBy: {}, aggregate: { n: count() } }]
  assert.throws(redefine(d.source.changes, { gold }), /aggregate changes, not rows/)
})
