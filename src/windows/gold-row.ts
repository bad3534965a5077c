import type { Accumulators } from './aggregations.ts'

/** One window of one input partition, or its tombstone (`accs` null). */
export interface GoldRow {
  readonly topic: string
  readonly partition: number
  readonly key: string
  readonly start: number
  readonly end: number
  readonly version: number
  readonly accs: Accumulators | null
}
