/**
 * Which event-time windows a record belongs to. Windows are half-open, `[start, end)`, and aligned
 * to the epoch so every replica and every replay cuts time at the same instants. Pure data: a spec
 * is plain JSON and goes into checkpoints and `describe` output as it is.
 */
import { ConfigError } from '../errors/tributary-error.ts'
import { type Duration, parseDuration } from './durations.ts'

export interface WindowBounds {
  readonly start: number
  /** Exclusive. */
  readonly end: number
}

export interface TumblingWindows {
  readonly kind: 'tumbling'
  readonly size: number
  readonly grace: number
}

export interface HoppingWindows {
  readonly kind: 'hopping'
  readonly size: number
  readonly hop: number
  readonly grace: number
}

/**
 * A session is `[first event, last event + gap)`: records less than `gap` apart share a session,
 * and a record landing between two sessions merges them.
 */
export interface SessionWindows {
  readonly kind: 'session'
  readonly gap: number
  readonly grace: number
}

export type WindowSpec = TumblingWindows | HoppingWindows | SessionWindows

/** `grace` keeps a window open for late records after the watermark passes its end. Default 0. */
export function tumbling(opts: { size: Duration; grace?: Duration }): TumblingWindows {
  return {
    kind: 'tumbling',
    size: positive(opts.size, 'tumbling.size'),
    grace: graceOf(opts.grace, 'tumbling'),
  }
}

export function hopping(opts: { size: Duration; hop: Duration; grace?: Duration }): HoppingWindows {
  const size = positive(opts.size, 'hopping.size')
  const hop = positive(opts.hop, 'hopping.hop')
  if (hop > size) {
    throw new ConfigError(
      'hopping.hop',
      `hop ${hop}ms is longer than size ${size}ms, so some records would fall in no window`,
      'use a hop no longer than the size (equal to it is a tumbling window)',
    )
  }
  return { kind: 'hopping', size, hop, grace: graceOf(opts.grace, 'hopping') }
}

export function session(opts: { gap: Duration; grace?: Duration }): SessionWindows {
  return { kind: 'session', gap: positive(opts.gap, 'session.gap'), grace: graceOf(opts.grace, 'session') }
}

/**
 * Ascending by start. For sessions this is the record's own one-record session, which the window
 * store then merges with the sessions it touches.
 */
export function assignWindows(spec: WindowSpec, eventTime: number): WindowBounds[] {
  if (!Number.isFinite(eventTime)) throw new RangeError(`event time ${eventTime} is not a finite number`)
  switch (spec.kind) {
    case 'tumbling': {
      const start = tumblingStart(eventTime, spec.size)
      return [{ start, end: start + spec.size }]
    }
    case 'hopping': {
      const windows: WindowBounds[] = []
      for (let start = alignDown(eventTime, spec.hop); start > eventTime - spec.size; start -= spec.hop) {
        windows.push({ start, end: start + spec.size })
      }
      return windows.reverse()
    }
    case 'session':
      return [{ start: eventTime, end: eventTime + spec.gap }]
  }
}

/** The start of the one tumbling window of `size` that holds `eventTime`. */
export function tumblingStart(eventTime: number, size: number): number {
  if (!Number.isFinite(eventTime)) throw new RangeError(`event time ${eventTime} is not a finite number`)
  return alignDown(eventTime, size)
}

/** The largest multiple of `step` not after `t`; modulo arithmetic stays exact where t / step would not. */
function alignDown(t: number, step: number): number {
  // `+ 0` turns -0 into 0 so a window start prints and compares as the plain number it is.
  return t - (((t % step) + step) % step) + 0
}

function positive(value: Duration, field: string): number {
  const ms = parseDuration(value, field)
  if (ms <= 0) throw new ConfigError(field, 'must be longer than 0', "use e.g. '10s' or '1m'")
  return ms
}

function graceOf(value: Duration | undefined, kind: string): number {
  return value === undefined ? 0 : parseDuration(value, `${kind}.grace`)
}
