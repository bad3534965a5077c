/**
 * Plain counters the operators bump per record (a property increment, nothing else on the hot
 * path); the runtime turns their per-batch deltas into metrics and processing-log rows.
 */
export class PipelineStats {
  in = 0
  decoded = 0
  rejectedDecode = 0
  rejectedValidate = 0
  valid = 0
  duplicates = 0
  late = 0
  /** Change streams: null values after a delete (log compaction markers), in bronze only. */
  tombstones = 0
  readonly ruleFailures = new Map<string, number>()
  readonly rejectCodes = new Map<string, number>()

  countRule(rule: string): void {
    this.ruleFailures.set(rule, (this.ruleFailures.get(rule) ?? 0) + 1)
  }

  countReject(code: string): void {
    this.rejectCodes.set(code, (this.rejectCodes.get(code) ?? 0) + 1)
  }

  /** valid / validated-so-far; 1 before any record, so an idle topology does not alert. */
  get qualityScore(): number {
    const total = this.valid + this.rejectedDecode + this.rejectedValidate
    return total === 0 ? 1 : this.valid / total
  }
}
