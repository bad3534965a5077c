import { defineSchema, type Infer } from '../src/schema/types.ts'

/**
 * The benchmark's event: a clickstream record of about 200 bytes as JSON (smaller as Avro), flat
 * so that every contender (ClickHouse's Kafka engine included) can map it to columns.
 */
export const benchEventSchema = defineSchema({
  type: 'record',
  name: 'BenchEvent',
  namespace: 'tributary.bench',
  fields: [
    { name: 'event_id', type: 'string' },
    { name: 'user_id', type: 'string' },
    { name: 'session_id', type: 'string' },
    { name: 'kind', type: 'string' },
    { name: 'url', type: 'string' },
    { name: 'amount', type: 'double' },
    { name: 'country', type: 'string' },
    { name: 'event_time', type: { type: 'long', logicalType: 'timestamp-millis' } },
  ],
})
export type BenchEvent = Infer<typeof benchEventSchema>

export const KINDS = ['page_view', 'click', 'add_to_cart', 'purchase'] as const
const COUNTRIES = ['BR', 'DE', 'US', 'FR', 'JP', 'IN', 'NG', 'MX'] as const

/** Event time advances this much per event: 1M events span ~50 minutes, so 1-minute windows fill. */
const EVENT_INTERVAL_MS = 3
/** One event in OUT_OF_ORDER_EVERY arrives up to OUT_OF_ORDER_MAX_MS behind its neighbours. */
const OUT_OF_ORDER_EVERY = 20
const OUT_OF_ORDER_MAX_MS = 20_000

/** A base time for `messages` events that puts all of them in the past at `now`. */
export function historyStart(messages: number, now: number): number {
  return now - messages * EVENT_INTERVAL_MS
}

/** Deterministic in `i` (and the run's base time), so every run carries the same data. */
export function eventAt(i: number, baseTime: number): BenchEvent {
  const late = i % OUT_OF_ORDER_EVERY === 7 ? (i * 7919) % OUT_OF_ORDER_MAX_MS : 0
  const user = (i * 7) % 50_000
  return {
    event_id: `evt-${String(i).padStart(10, '0')}`,
    user_id: `user-${String(user).padStart(6, '0')}`,
    session_id: `s-${(((i / 40) | 0) * 2654435761).toString(16).padStart(16, '0').slice(-16)}`,
    kind: KINDS[i % KINDS.length]!,
    url: `/catalog/c-${i % 50}/p-${String((i * 13) % 100_000).padStart(6, '0')}?ref=search`,
    amount: ((i * 7919) % 100_000) / 100,
    country: COUNTRIES[i % COUNTRIES.length]!,
    event_time: baseTime + i * EVENT_INTERVAL_MS - late,
  }
}

/**
 * One message in DUPLICATE_EVERY re-sends the event DUPLICATE_DISTANCE messages back (same key,
 * same bytes: what a retrying producer does), so 1% of the messages are duplicates.
 */
const DUPLICATE_EVERY = 100
const DUPLICATE_DISTANCE = 37

/** The index of the event message `j` carries. */
export function eventIndexOfMessage(j: number): number {
  return j % DUPLICATE_EVERY === DUPLICATE_EVERY - 1 ? j - DUPLICATE_DISTANCE : j
}

/** Distinct events among the first `messages` messages. */
export function uniqueEvents(messages: number): number {
  return messages - Math.floor(messages / DUPLICATE_EVERY)
}
