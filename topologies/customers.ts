import { customerSchema, invalidCustomer, sampleCustomer } from '../schemas/customers.ts'
import { avro, debezium, defineTopology, matches, oneOf, required } from '../src/index.ts'

/**
 * Postgres' `public.customers` through Debezium (Avro, Confluent wire format): bronze keeps every
 * change, silver the current row per customer, and `silver_customers_current` is what to query.
 */
export default defineTopology(
  {
    name: 'customers',
    description: 'Change data capture: a Postgres customers table, Debezium changes in, current rows out.',
    source: {
      topics: ['dbserver1.public.customers'],
      format: avro(customerSchema),
      changes: debezium({ key: 'id', version: 'source.lsn' }),
    },
  },
  {
    examples: { valid: (i) => sampleCustomer(i), invalid: (i) => invalidCustomer(i) },
    eventTime: (c) => c.updated_at,
    rules: {
      fields: {
        name: [required()],
        email: [matches(/^[^@\s]+@[^@\s]+$/)],
        country: [oneOf(['PT', 'BR', 'US', 'DE'])],
      },
    },
  },
)
