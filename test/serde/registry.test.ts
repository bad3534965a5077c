import assert from 'node:assert/strict'
import { test } from 'node:test'
import { orderSchema } from '../../schemas/orders.ts'
import { memoryRegistry } from '../../src/serde/registry.ts'

test('the memory registry hands out versions of a subject and judges compatibility as BACKWARD', async () => {
  const registry = memoryRegistry()
  assert.equal(await registry.subjectSchema('orders-value'), null)
  const id1 = await registry.register('orders-value', orderSchema)
  const v2 = {
    ...orderSchema,
    fields: [...orderSchema.fields, { name: 'n', type: ['null', 'int'], default: null }],
  }
  const id2 = await registry.register('orders-value', v2)
  assert.deepEqual(await registry.subjectSchema('orders-value'), {
    subject: 'orders-value',
    version: 2,
    id: id2,
    schema: JSON.parse(JSON.stringify(v2)),
  })
  assert.equal((await registry.subjectSchema('orders-value', 1))?.id, id1)
  assert.equal(await registry.subjectSchema('orders-value', 3), null)
  assert.equal(await registry.isCompatible('orders-value', orderSchema), true, 'v1 reads v2: n is ignored')
  const required = { ...orderSchema, fields: [...orderSchema.fields, { name: 'r', type: 'string' }] }
  assert.equal(await registry.isCompatible('orders-value', required), false, 'r has no default')
})
