import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Order } from '../../schemas/orders.ts'
import { TopologyTestDriver } from '../../src/index.ts'
import orders from '../../topologies/orders.ts'

const good: Order = {
  order_id: 'ord-1',
  customer_id: ' c-1 ',
  amount: 12.34,
  currency: 'EUR',
  status: 'PAID',
  event_time: Date.UTC(2026, 0, 1, 10),
  coupon: null,
}

test('a valid order reaches bronze and silver, typed and transformed', async () => {
  const driver = new TopologyTestDriver(orders)
  await driver.pipe(good, { key: 'ord-1' })
  assert.equal(driver.bronze().length, 1)
  assert.deepEqual(driver.silver(), [{ ...good, customer_id: 'c-1' }])
  assert.equal(driver.silverEnvelopes()[0]?.eventTime, good.event_time)
  assert.equal(driver.rejected().length, 0)
})

test('an invalid order is rejected with every failed rule, and still lands in bronze', async () => {
  const driver = new TopologyTestDriver(orders)
  await driver.pipe({
    ...good,
    order_id: 'bad id',
    amount: -1,
    currency: 'JPY',
    status: 'CANCELLED',
    coupon: 'X',
  })
  assert.equal(driver.bronze().length, 1)
  assert.equal(driver.silver().length, 0)
  const [r] = driver.rejected()
  assert.equal(r?.stage, 'validate')
  assert.deepEqual(r?.rules, [
    'order_id.regex',
    'amount.positive',
    'currency.enum',
    'coupon-not-on-cancelled',
  ])
  assert.match(r?.reason ?? '', /JPY/)
})

test('undecodable bytes, unknown schema ids and empty payloads are dead-lettered with a code', async () => {
  const driver = new TopologyTestDriver(orders)
  await driver.pipeBytes(Buffer.from('not avro at all'))
  await driver.pipeBytes(Buffer.from([0, 0, 0, 0x30, 0x39, 1, 2]))
  await driver.pipeBytes(null)
  assert.deepEqual(
    driver.rejected().map((r) => r.code),
    ['BAD_WIRE_FORMAT', 'UNKNOWN_SCHEMA_ID', 'EMPTY_PAYLOAD'],
  )
  assert.equal(driver.bronze().length, 3)
  assert.equal(driver.stats.qualityScore, 0)
})

test('accounting: bronze = silver + rejected', async () => {
  const driver = new TopologyTestDriver(orders)
  for (let i = 0; i < 50; i++)
    await driver.pipe({ ...good, order_id: `ord-${i}`, amount: i % 5 === 0 ? 0 : i })
  assert.equal(driver.bronze().length, 50)
  assert.equal(driver.silver().length + driver.rejected().length, 50)
  assert.equal(driver.rejected().length, 10)
})

test('a repeated order id is dropped before silver and counted as a duplicate', async () => {
  const driver = new TopologyTestDriver(orders)
  await driver.pipe(good)
  await driver.pipe({ ...good, amount: 99 })
  await driver.pipe(good, { partition: 1 })
  assert.equal(driver.bronze().length, 3)
  assert.equal(driver.silver().length, 2, 'dedup state is per input partition')
  assert.equal(driver.stats.duplicates, 1)
})
