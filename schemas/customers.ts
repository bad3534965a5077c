import { defineSchema, type Infer } from '../src/schema/types.ts'

/** A row of Postgres' `public.customers`, as Debezium writes it in a change's before and after. */
export const customerSchema = defineSchema({
  type: 'record',
  name: 'Customer',
  namespace: 'tributary.examples',
  doc: 'A customer row of a Postgres table, streamed by Debezium; the change-data-capture example.',
  fields: [
    { name: 'id', type: 'long' },
    { name: 'name', type: 'string' },
    { name: 'email', type: ['null', 'string'], default: null },
    { name: 'country', type: 'string' },
    { name: 'tier', type: 'string' },
    { name: 'updated_at', type: { type: 'long', logicalType: 'timestamp-millis' } },
  ],
})
export type Customer = Infer<typeof customerSchema>

const COUNTRIES = ['PT', 'BR', 'US', 'DE'] as const
const TIERS = ['free', 'pro', 'enterprise'] as const
/** How many customers the example table has: change i touches customer i mod this, plus 1. */
export const CUSTOMERS = 997

/** The row after change `i`: deterministic in `i`, each customer changing every CUSTOMERS changes. */
export function sampleCustomer(i: number, now = Date.now()): Customer {
  const id = (i % CUSTOMERS) + 1
  return {
    id,
    name: `Customer ${id}`,
    // Some customers clear their email now and then: the current row must show the NULL.
    email: i % 11 === 3 ? null : `c${id}.v${Math.floor(i / CUSTOMERS)}@example.com`,
    country: COUNTRIES[i % COUNTRIES.length]!,
    tier: TIERS[Math.floor(i / CUSTOMERS) % TIERS.length]!,
    updated_at: now - ((i * 37) % 60_000),
  }
}

/** Decodes fine, breaks the customers topology's rules. */
export function invalidCustomer(i: number, now = Date.now()): Customer {
  return { ...sampleCustomer(i, now), email: 'not-an-email', country: 'XX' }
}
