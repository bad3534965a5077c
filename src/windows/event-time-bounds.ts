import { type Duration, parseDuration } from './durations.ts'

/**
 * How far a record's event time may stray from its Kafka timestamp. One record stamped in year 9999
 * would otherwise move its partition's watermark there and send every later record to `late_*`;
 * outside the bounds it is quarantined instead (EVENT_TIME_OUT_OF_BOUNDS). Measured against the
 * Kafka timestamp, not the clock, so a replay after a crash decides exactly as the first run did.
 */
export interface EventTimeBounds {
  /** How far after its Kafka timestamp an event time may be. Default '1d'; `false` for no bound. */
  readonly future?: Duration | false
  /** How far before its Kafka timestamp an event time may be. Default: no bound. */
  readonly past?: Duration | false
}

export interface EventTimeBoundsMs {
  readonly future: number | null
  readonly past: number | null
}

export const DEFAULT_MAX_FUTURE: Duration = '1d'

/** Checked when the topology is defined, so a bad value fails at start-up naming the field. */
export function eventTimeBoundsMs(topology: string, b: EventTimeBounds | undefined): EventTimeBoundsMs {
  const parse = (v: Duration | false | undefined, field: 'future' | 'past', fallback: Duration | false) => {
    const value = v ?? fallback
    return value === false ? null : parseDuration(value, `topology ${topology}: eventTimeBounds.${field}`)
  }
  return { future: parse(b?.future, 'future', DEFAULT_MAX_FUTURE), past: parse(b?.past, 'past', false) }
}

/** Why an event time is out of bounds, or null when it is within them. */
export function outOfBounds(
  eventTime: number,
  kafkaTimestamp: number,
  bounds: EventTimeBoundsMs,
  field: string,
): string | null {
  const at = (ms: number) =>
    Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : String(ms)
  if (!Number.isFinite(eventTime)) return `${field}: event time ${eventTime} is not a time`
  if (bounds.future !== null && eventTime - kafkaTimestamp > bounds.future)
    return `${field}: event time ${at(eventTime)} is more than eventTimeBounds.future (${bounds.future} ms) after the record's Kafka timestamp ${at(kafkaTimestamp)}`
  if (bounds.past !== null && kafkaTimestamp - eventTime > bounds.past)
    return `${field}: event time ${at(eventTime)} is more than eventTimeBounds.past (${bounds.past} ms) before the record's Kafka timestamp ${at(kafkaTimestamp)}`
  return null
}
