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
    { name: 'status', type: { type: 'enum', name: 'OrderStatus', symbols: ['PLACED', 'PAID', 'SHIPPED', 'CANCELLED'] } },
    { name: 'event_time', type: { type: 'long', logicalType: 'timestamp-millis' } },
    { name: 'coupon', type: ['null', 'string'], default: null },
  ],
})
export type Order = Infer<typeof orderSchema>
