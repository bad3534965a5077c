/**
 * What a kafkajs error says, seen through its wrapping: kafkajs puts a broker's protocol error
 * (which carries `type`) inside KafkaJSNonRetriableError or KafkaJSNumberOfRetriesExceeded, which
 * keep it as `cause` or `originalError` and have no `type` of their own, and which call themselves
 * non-retriable when kafkajs' own retries ran out, a broker outage included.
 */
export function protocolTypes(err: unknown): string[] {
  const types: string[] = []
  let e = err as { type?: unknown; cause?: unknown; originalError?: unknown } | undefined
  // Wrappers nest shallowly; the bound guards against a cyclic cause chain.
  for (let depth = 0; e && typeof e === 'object' && depth < 8; depth++) {
    if (typeof e.type === 'string') types.push(e.type)
    e = (e.originalError ?? e.cause) as typeof e
  }
  return types
}

/** Refusals that mean the group moved on: the partitions' next owner resumes from the checkpoint. */
const GROUP_MOVED_ON = [
  'REBALANCE_IN_PROGRESS',
  'ILLEGAL_GENERATION',
  'UNKNOWN_MEMBER_ID',
  // kafkajs' name for error code 16 (the Java client's NOT_COORDINATOR).
  'NOT_COORDINATOR_FOR_GROUP',
]

export function groupMovedOn(err: unknown): string | undefined {
  return protocolTypes(err).find((t) => GROUP_MOVED_ON.includes(t))
}

/**
 * Errors no retry can cure: this producer was fenced by a newer one with its transactional id (its
 * partition has a new owner), or the broker refuses the request as such. Anything else, a broker
 * down or restarting included, is waited out.
 */
const PERMANENT = [
  'INVALID_PRODUCER_EPOCH',
  'PRODUCER_FENCED',
  'TRANSACTIONAL_ID_AUTHORIZATION_FAILED',
  'TOPIC_AUTHORIZATION_FAILED',
  'GROUP_AUTHORIZATION_FAILED',
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_RECORD',
]

export function permanentKafkaError(err: unknown): string | undefined {
  return protocolTypes(err).find((t) => PERMANENT.includes(t))
}
