import type { Admin } from 'kafkajs'
import { partitionKey } from '../records/partition.ts'

/** What a runner tells about how far it got, for `run --until-idle`. */
export interface Progress {
  readonly groupId: string
  readonly topics: readonly string[]
  /** Partitions of the latest assignment (partitionKey); undefined before the first one. */
  readonly assigned: ReadonlySet<string> | undefined
  /** Records read but not yet durable: in flight, in a sink, or in a checkpoint still landing. */
  readonly busy: boolean
  /** Per partition, the offset after the last record read (processed, or skipped as durable already). */
  readonly positions: ReadonlyMap<string, bigint>
}

/**
 * Caught up: assigned, nothing read that is not durable yet, and on every assigned partition at the
 * high-water mark (consumer lag 0). Start-up is not: before the first assignment nothing is known.
 * A partition this member has not read from counts from the group's committed offset, or from its
 * log start when nothing was ever committed (an empty partition is then caught up).
 */
export async function caughtUp(admin: Admin, p: Progress): Promise<boolean> {
  if (p.assigned === undefined || p.busy) return false
  if (p.assigned.size === 0) return true
  const [ends, committed] = await Promise.all([
    Promise.all(
      p.topics.map(async (topic) => (await admin.fetchTopicOffsets(topic)).map((o) => ({ topic, ...o }))),
    ),
    admin.fetchOffsets({ groupId: p.groupId, topics: [...p.topics] }),
  ])
  const commits = new Map<string, bigint>()
  for (const t of committed)
    for (const o of t.partitions) commits.set(partitionKey(t.topic, o.partition), BigInt(o.offset))
  for (const end of ends.flat()) {
    const key = partitionKey(end.topic, end.partition)
    if (!p.assigned.has(key)) continue
    const candidates = [BigInt(end.low), commits.get(key) ?? -1n, p.positions.get(key) ?? -1n]
    const position = candidates.reduce((a, b) => (b > a ? b : a))
    if (position < BigInt(end.high)) return false
  }
  return true
}
