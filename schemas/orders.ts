import { defineSchema, type Infer } from '../src/schema/types.ts'

export const orderSchema = defineSchema({
  type: 'record',
  name: 'Order',
  namespace: 'tributary.examples',
  doc: 'An order placed in a shop; the Avro example.',
  fields: [
    { name: 'order_id', type: 'string' },
    { name: 'customer_id', type: 'string' },
    { name: 'amount', type: { type: 'bytes', logicalType: 'decimal', precision: 12, scale: 2 } },
    { name: 'currency', type: 'string' },
    {
      name: 'status',
      type: { type: 'enum', name: 'OrderStatus', symbols: ['PLACED', 'PAID', 'SHIPPED', 'CANCELLED'] },
    },
    { name: 'event_time', type: { type: 'long', logicalType: 'timestamp-millis' } },
    { name: 'coupon', type: ['null', 'string'], default: null },
  ],
})
export type Order = Infer<typeof orderSchema>

const CURRENCIES = ['EUR', 'USD', 'BRL'] as const
const STATUSES = ['PLACED', 'PAID', 'SHIPPED'] as const

/** Example data for the demo and benchmarks: deterministic in `i`. */
export function sampleOrder(i: number, now = Date.now()): Order {
  return {
    order_id: `ord-${i}`,
    customer_id: `cust-${i % 997}`,
    amount: ((i * 7919) % 100000) / 100 + 1,
    currency: CURRENCIES[i % 3]!,
    status: STATUSES[i % 3]!,
    event_time: now - ((i * 31) % 60_000),
    coupon: i % 10 === 0 ? `SAVE${i % 7}` : null,
  }
}

/** Decodes fine, breaks the orders topology's rules. */
export function invalidOrder(i: number, now = Date.now()): Order {
  return { ...sampleOrder(i, now), amount: -1, currency: 'XXX' }
}
