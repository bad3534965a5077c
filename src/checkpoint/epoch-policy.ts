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
}

/**
 * An epoch is due when records wait and the interval passed, or sooner once the consumer caught
 * up (no sooner than the minimum interval), or when a bound on in-flight records or buffered rows
 * is reached. Rows no record of this epoch made (gold windows an idle tick closed) are due at once.
 */
export function epochDue(policy: EpochPolicy, s: EpochSituation): boolean {
  if (s.inFlight === 0) return s.maxPending > 0
  if (s.inFlight >= policy.maxInFlightRecords) return true
  if (s.sinceLastMs >= policy.flushIntervalMs) return true
  if (s.sinceLastMs >= policy.minFlushIntervalMs && s.caughtUp) return true
  return s.maxPending >= policy.maxBatchRows
}
