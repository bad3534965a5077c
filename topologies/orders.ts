import { map } from 'rxjs'
import { invalidOrder, orderSchema, sampleOrder } from '../schemas/orders.ts'
import { avro, defineTopology, matches, oneOf, positive, predicate, required, step } from '../src/index.ts'

/** Orders from the shop, Avro through the schema registry. */
export default defineTopology(
  {
    name: 'orders',
    description: 'Shop orders: Avro in, validated and deduplicated out; revenue per currency per minute.',
    source: { topics: ['orders'], format: avro(orderSchema) },
  },
  {
    examples: { valid: (i) => sampleOrder(i), invalid: (i) => invalidOrder(i) },
    dedup: { name: 'order-id', key: (o) => o.order_id, retention: '24h' },
    eventTime: (o) => o.event_time,
    rules: {
      fields: {
        order_id: [required(), matches(/^ord-[0-9a-z-]+$/)],
        customer_id: [required()],
        amount: [positive()],
        currency: [oneOf(['EUR', 'USD', 'BRL'])],
      },
      checks: [
        predicate(
          'coupon-not-on-cancelled',
          (o) => o.status !== 'CANCELLED' || o.coupon === null,
          'a cancelled order cannot carry a coupon',
        ),
      ],
    },
    transform: [
      step(
        'normalise-customer',
        map((e) => ({ ...e, value: { ...e.value, customer_id: e.value.customer_id.trim() } })),
      ),
    ],
  },
)
