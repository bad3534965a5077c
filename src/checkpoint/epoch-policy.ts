/** The settings that decide when an epoch starts (`source.*`, `sink.*` in the configuration). */
export interface EpochPolicy {
  readonly maxInFlightRecords: number
  readonly flushIntervalMs: number
  readonly minFlushIntervalMs: number
  readonly maxBatchRows: number
}

/** What the policy looks at, read off the runner at one moment. */
export interface EpochSituation {
  /** Records processed since the last epoch started. */
  readonly inFlight: number
  /** The fullest sink's pending rows. */
  readonly maxPending: number
  readonly sinceLastMs: number
  /** No backlog behind any partition read in this epoch. */
  readonly caughtUp: boolean
  /** Offsets durable in the state whose Kafka commit did not happen yet. */
  readonly uncommitted: boolean
}

/**
 * An epoch is due when records wait and the interval passed, or sooner once the consumer caught
 * up (no sooner than the minimum interval), or when a bound on in-flight records or buffered rows
 * is reached. Rows no record of this epoch made (gold windows an idle tick closed) are due at once;
 * offsets whose commit failed (a broker restart, a lost membership) are committed again after the
 * interval, so external lag tools see what the checkpoint holds.
 */
export function epochDue(policy: EpochPolicy, s: EpochSituation): boolean {
  // Nothing new: rows an idle tick made, or a commit to retry once the interval passed.
  if (s.inFlight === 0) return s.maxPending > 0 || (s.uncommitted && s.sinceLastMs >= policy.flushIntervalMs)
  if (s.inFlight >= policy.maxInFlightRecords) return true
  if (s.sinceLastMs >= policy.flushIntervalMs) return true
  if (s.sinceLastMs >= policy.minFlushIntervalMs && s.caughtUp) return true
  return s.maxPending >= policy.maxBatchRows
}
