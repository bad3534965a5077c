/**
 * Whether a kafkajs error is the group telling this member it lost its place (a rebalance, a
 * generation or membership it no longer has), as opposed to a failure.
 *
 * kafkajs' retrier wraps the broker's protocol error: a non-retriable one (UNKNOWN_MEMBER_ID,
 * ILLEGAL_GENERATION) becomes a KafkaJSNonRetriableError, a retriable one that outlasts its retries
 * (REBALANCE_IN_PROGRESS, NOT_COORDINATOR_FOR_GROUP) a KafkaJSNumberOfRetriesExceeded. Neither wrapper has
 * `type`; the protocol error is their `cause` (older releases: `originalError`).
 */

const REFUSED_BY_REBALANCE = new Set([
  'REBALANCE_IN_PROGRESS',
  'ILLEGAL_GENERATION',
  'UNKNOWN_MEMBER_ID',
  // kafkajs' name for error code 16 (the Java client's NOT_COORDINATOR).
  'NOT_COORDINATOR_FOR_GROUP',
])

/** Wrappers nest shallowly; the bound guards against a cyclic cause chain. */
const MAX_DEPTH = 8

/** The Kafka protocol error type (e.g. `UNKNOWN_MEMBER_ID`) of `err` or of what it wraps. */
export function kafkaErrorType(err: unknown): string | undefined {
  let e = err
  for (let depth = 0; depth < MAX_DEPTH && typeof e === 'object' && e !== null; depth++) {
    const { type, cause, originalError } = e as { type?: unknown; cause?: unknown; originalError?: unknown }
    if (typeof type === 'string') return type
    e = cause ?? originalError
  }
  return undefined
}

export function refusedByRebalance(err: unknown): boolean {
  const type = kafkaErrorType(err)
  return type !== undefined && REFUSED_BY_REBALANCE.has(type)
}
