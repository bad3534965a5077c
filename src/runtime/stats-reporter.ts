import { ENGINE_EVENTS, type EngineEvents } from '../observability/events.ts'
import type { Metrics } from '../observability/metrics.ts'
import type { PipelineStats } from '../topology/stats.ts'

/** Reject codes the validate stage gives; every other one comes from decoding. */
const VALIDATE_CODES = new Set(['RULES_FAILED', 'VALUE_OUT_OF_RANGE', 'EVENT_TIME_OUT_OF_BOUNDS'])

/** Turns the pipeline's plain counters into metric increments, once per batch, by difference. */
export class StatsReporter {
  private readonly topology: string
  private readonly stats: PipelineStats
  private readonly metrics: Metrics
  private readonly events: EngineEvents
  private last = {
    in: 0,
    decoded: 0,
    rejectedDecode: 0,
    rejectedValidate: 0,
    valid: 0,
    duplicates: 0,
    late: 0,
  }
  private lastRules = new Map<string, number>()
  private lastCodes = new Map<string, number>()

  constructor(topology: string, stats: PipelineStats, metrics: Metrics, events: EngineEvents) {
    this.topology = topology
    this.stats = stats
    this.metrics = metrics
    this.events = events
  }

  report(): void {
    const s = this.stats
    const d = {
      in: s.in - this.last.in,
      decoded: s.decoded - this.last.decoded,
      rejectedDecode: s.rejectedDecode - this.last.rejectedDecode,
      rejectedValidate: s.rejectedValidate - this.last.rejectedValidate,
      valid: s.valid - this.last.valid,
      duplicates: s.duplicates - this.last.duplicates,
      late: s.late - this.last.late,
    }
    this.last = {
      in: s.in,
      decoded: s.decoded,
      rejectedDecode: s.rejectedDecode,
      rejectedValidate: s.rejectedValidate,
      valid: s.valid,
      duplicates: s.duplicates,
      late: s.late,
    }
    const t = this.topology
    const m = this.metrics
    if (d.in) m.records(t, 'source', 'bronze', 'in', d.in)
    if (d.decoded) m.records(t, 'decode', 'silver', 'out', d.decoded)
    if (d.rejectedDecode) m.records(t, 'decode', 'quarantine', 'dead_lettered', d.rejectedDecode)
    if (d.rejectedValidate) m.records(t, 'validate', 'quarantine', 'invalid', d.rejectedValidate)
    if (d.valid) m.records(t, 'validate', 'silver', 'out', d.valid)
    if (d.duplicates) m.records(t, 'dedup', 'silver', 'duplicate', d.duplicates)
    if (d.late) m.records(t, 'window', 'gold', 'late', d.late)
    if (d.valid + d.rejectedDecode + d.rejectedValidate > 0)
      m.quality(t, d.valid, d.valid + d.rejectedDecode + d.rejectedValidate)
    for (const [rule, n] of s.ruleFailures) {
      const delta = n - (this.lastRules.get(rule) ?? 0)
      if (delta > 0) m.ruleFailures(t, rule, delta)
      this.lastRules.set(rule, n)
    }
    for (const [code, n] of s.rejectCodes) {
      const delta = n - (this.lastCodes.get(code) ?? 0)
      if (delta > 0) {
        this.events.emit(ENGINE_EVENTS.RECORD_DEAD_LETTERED, {
          topology: t,
          stage: VALIDATE_CODES.has(code) ? 'validate' : 'decode',
          reasonCode: code,
          count: delta,
          topic: '',
          partition: -1,
          firstOffset: '',
          message: code,
        })
      }
      this.lastCodes.set(code, n)
    }
  }
}
