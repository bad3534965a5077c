import { map } from 'rxjs'
import { invalidOrder, orderSchema, sampleOrder } from '../schemas/orders.ts'
import {
  avg,
  avro,
  count,
  defineTopology,
  distinctCount,
  matches,
  oneOf,
  positive,
  predicate,
  required,
  session,
  step,
  sum,
  tumbling,
} from '../src/index.ts'

/** Orders from the shop, Avro through the schema registry. */
export default defineTopology(
  {
    name: 'orders',
    description: 'Shop orders: Avro in, validated and deduplicated out; revenue per currency per minute.',
    source: { topics: ['orders'], format: avro(orderSchema) },
  },
  {
    // Keyed by customer, so one customer's orders share a partition (the sessions below rely on it).
    examples: { valid: (i) => sampleOrder(i), invalid: (i) => invalidOrder(i), key: (o) => o.customer_id },
    dedup: { name: 'order-id', key: (o) => o.order_id, retention: '24h' },
    eventTime: (o) => o.event_time,
    watermark: { outOfOrderness: '1m', idleTimeout: '30s' },
    gold: [
      {
        name: 'revenue_per_currency_1m',
        window: tumbling({ size: '1m', grace: '10s' }),
        groupBy: { currency: (o) => o.currency },
        aggregate: {
          orders: count(),
          revenue: sum((o) => o.amount),
          avg_amount: avg((o) => o.amount),
          customers: distinctCount((o) => o.customer_id),
        },
      },
      {
        name: 'customer_sessions',
        window: session({ gap: '5m' }),
        groupBy: { customer_id: (o) => o.customer_id },
        aggregate: { orders: count(), spent: sum((o) => o.amount) },
        copartitioned: true,
      },
    ],
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
