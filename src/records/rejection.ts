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
