/**
 * The closed vocabularies metric labels and engine events share. Closed on purpose: every distinct
 * label value is a new time series, so free text here would grow Prometheus without bound.
 */
export type Layer = 'bronze' | 'silver' | 'quarantine' | 'late' | 'gold'

export type RecordOutcome = 'in' | 'out' | 'invalid' | 'dead_lettered' | 'duplicate' | 'late' | 'tombstone'

export type CircuitState = 'closed' | 'half-open' | 'open'

/** Numeric encoding for the circuit gauge, ordered by severity so `max()` across targets reads naturally. */
export const CIRCUIT_STATE_VALUE: Readonly<Record<CircuitState, number>> = {
  closed: 0,
  'half-open': 1,
  open: 2,
}
