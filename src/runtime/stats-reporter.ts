import { ENGINE_EVENTS, type EngineEvents, type RecordCounts } from '../observability/events.ts'
import type { PipelineStats } from '../records/stats.ts'

/** Reject codes the validate stage gives; every other one comes from decoding. */
const VALIDATE_CODES = new Set(['RULES_FAILED', 'VALUE_OUT_OF_RANGE', 'EVENT_TIME_OUT_OF_BOUNDS'])

const COUNTED = [
  'decoded',
  'rejectedDecode',
  'rejectedValidate',
  'valid',
  'duplicates',
  'late',
  'tombstones',
] as const

/**
 * Turns the pipeline's plain counters into events, once per batch, by difference: what each
 * operator counted, rule failures, and dead letters per reason code.
 */
export class StatsReporter {
  private readonly topology: string
  private readonly stats: PipelineStats
  private readonly events: EngineEvents
  private last: RecordCounts = {
    decoded: 0,
    rejectedDecode: 0,
    rejectedValidate: 0,
    valid: 0,
    duplicates: 0,
    late: 0,
    tombstones: 0,
  }
  private readonly lastRules = new Map<string, number>()
  private readonly lastCodes = new Map<string, number>()

  constructor(topology: string, stats: PipelineStats, events: EngineEvents) {
    this.topology = topology
    this.stats = stats
    this.events = events
  }

  report(): void {
    const s = this.stats
    const t = this.topology
    const counts = { ...this.last }
    let any = false
    for (const k of COUNTED) {
      counts[k] = s[k] - this.last[k]
      this.last[k] = s[k]
      if (counts[k] !== 0) any = true
    }
    const ruleFailures = deltas(s.ruleFailures, this.lastRules)
    if (any || ruleFailures.length > 0)
      this.events.emit(ENGINE_EVENTS.RECORDS_COUNTED, { topology: t, counts, ruleFailures })
    for (const [code, count] of deltas(s.rejectCodes, this.lastCodes)) {
      this.events.emit(ENGINE_EVENTS.RECORD_DEAD_LETTERED, {
        topology: t,
        stage: VALIDATE_CODES.has(code) ? 'validate' : 'decode',
        reasonCode: code,
        count,
        topic: '',
        partition: -1,
        firstOffset: '',
        message: code,
      })
    }
  }
}

/** The positive differences of `now` against `last`, which it updates. */
function deltas(now: ReadonlyMap<string, number>, last: Map<string, number>): [string, number][] {
  const out: [string, number][] = []
  for (const [k, n] of now) {
    const d = n - (last.get(k) ?? 0)
    if (d > 0) out.push([k, d])
    last.set(k, n)
  }
  return out
}
