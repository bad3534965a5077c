import assert from 'node:assert/strict'
import { test } from 'node:test'
import { sampleCustomer } from '../../schemas/customers.ts'
import { changeEvent } from '../../src/cdc/generate.ts'
import { TopologyTestDriver } from '../../src/index.ts'
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
