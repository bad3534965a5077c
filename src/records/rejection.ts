import type { KafkaRecord } from './record.ts'

/**
 * A record the pipeline could not accept, with the original bytes and everything that was wrong:
 * the dead-letter topic and the quarantine table both receive it.
 */
export interface Rejection {
  readonly source: KafkaRecord
  readonly topology: string
  /** `load`: ClickHouse refused the row at insert time. */
  readonly stage: 'decode' | 'validate' | 'window' | 'load'
  /** A stable machine-readable code, e.g. UNKNOWN_SCHEMA_ID, JSON_PARSE_FAILED, RULES_FAILED, LATE. */
  readonly code: string
  readonly reason: string
  /** Names of every failed rule (`amount.positive`, `schema.required`), empty for decode failures. */
  readonly rules: readonly string[]
}

/** Characters a reader cannot see or that break a line: controls, zero-widths, BOM, separators. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u00ad\u200b-\u200f\u2028\u2029\u2060\ufeff]/g

/**
 * A reason as a person reads it: an invisible character (a BOM quoted from the payload, a control
 * byte in a JSON parser's excerpt) is written as its code point, e.g. U+FEFF.
 */
export function readable(reason: string): string {
  return reason.replace(INVISIBLE, (c) => `U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`)
}
