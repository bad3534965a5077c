/**
 * Durations as a topology author writes them ('10s', '5m', '24h', '500ms') or as plain
 * milliseconds. Windows, grace and watermarks work in whole milliseconds, the unit of event time.
 */
import { ConfigError } from '../errors/tributary-error.ts'

export type Duration = number | string

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const
const PATTERN = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/
const FIX = "use a whole number of milliseconds or a string such as '500ms', '10s', '1m', '24h', '7d'"

/** `field` names the setting in the error, so a bad value in a long topology file is found at once. */
export function parseDuration(value: Duration, field = 'duration'): number {
  const ms = toMs(value)
  if (ms === null) throw new ConfigError(field, `${JSON.stringify(value)} is not a duration`, FIX)
  if (!Number.isSafeInteger(ms)) {
    throw new ConfigError(field, `${JSON.stringify(value)} is not a whole number of milliseconds`, FIX)
  }
  return ms
}

function toMs(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : null
  if (typeof value !== 'string') return null
  const match = PATTERN.exec(value.trim())
  if (match === null) return null
  const [, amount, unit] = match
  const ms = Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS]
  // '1.1s' is 1100.0000000000002 in binary floating point; the author meant 1100.
  const whole = Math.round(ms)
  return Math.abs(ms - whole) < 1e-6 ? whole : ms
}
