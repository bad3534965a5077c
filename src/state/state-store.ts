/**
 * The state layer's contract. A checkpoint stores a partition's operator state together with the
 * input offset it reflects, atomically, so a restart resumes from a state that matches its offset:
 * records after the offset are re-read, and nothing before it is applied twice.
 */
import { DedupAdds } from './dedup-adds.ts'

export interface PartitionRef {
  topology: string
  topic: string
  partition: number
}

export interface PartitionState {
  /** Next offset to read, as committed with this state; null = never checkpointed. */
  offset: string | null
  /**
   * Dedup key -> expiry epoch ms, in ascending expiry order. Only live keys: a key is live while
   * `now < expiresAt`; with `dedupLimit`, only that many of the latest-expiring ones.
   */
  dedup: Map<string, number>
  /** General keyed state (e.g. open windows as JSON), by namespace-qualified key. */
  kv: Map<string, string>
  /** Small extras (e.g. watermark JSON). */
  meta: Record<string, string>
  /**
   * The generation under which this member holds the partition, when it claimed it on load: a
   * commit carrying an older generation is refused (a member that lost the partition without
   * noticing, e.g. paused past its session, cannot write over its new owner).
   */
  owner?: number
}

/**
 * Applied in this order, so the outcome of overlapping entries is defined: dedup adds (a re-added
 * key takes the new expiry), then expiry of every key with `expiresAt <= now`, then kv puts, then
 * kv deletes (a key both put and deleted ends deleted), then meta fields, then the offset.
 */
export interface PartitionChanges {
  dedupAdd: DedupAdds
  kvPut: [key: string, value: string][]
  kvDelete: string[]
  meta: Record<string, string>
}

export interface PartitionCommit {
  ref: PartitionRef
  changes: PartitionChanges
  offset: string
  /** The committing member's generation (`PartitionState.owner`): checked in the same atomic step. */
  owner?: number
}

export interface StateStore {
  /**
   * `claim`: take the partition over in the same round trip, fencing every earlier holder; the
   * state then carries the new generation as `owner`. Inspection loads do not claim.
   * `dedupLimit`: load at most this many dedup keys, the latest-expiring (what memory can hold).
   */
  load(p: PartitionRef, now: number, opts?: { claim?: boolean; dedupLimit?: number }): Promise<PartitionState>
  /**
   * ONE round trip for all partitions: each partition's changes + its offset are applied atomically
   * (per partition). Re-applying the same commit leaves the same state, so a commit whose outcome is
   * unknown (connection lost) can simply be sent again. `bytes` is the checkpoint's payload size
   * (see checkpointBytes), the same for every store. A commit with an `owner` the partition's
   * latest claim does not match is refused (STATE_FENCED), and none of that batch's partitions that
   * are fenced is applied.
   */
  commit(batch: PartitionCommit[], now: number): Promise<{ bytes: number }>
  /** Deletes a partition's state (tests / resets). */
  clear(p: PartitionRef): Promise<void>
  close(): Promise<void>
}

export function emptyChanges(): PartitionChanges {
  return { dedupAdd: new DedupAdds(), kvPut: [], kvDelete: [], meta: {} }
}

/**
 * What a load returns for dedup, from every key a store holds with its latest expiry: the live ones
 * (`now < expiresAt`), in ascending expiry order (ties by key), the last `limit` of them. One
 * definition, so the stores cannot drift apart in order or in which keys a limit keeps.
 */
export function liveDedup(
  entries: Iterable<[key: string, expiresAt: number]>,
  now: number,
  limit: number = Number.POSITIVE_INFINITY,
): Map<string, number> {
  const live: [string, number][] = []
  for (const entry of entries) if (now < entry[1]) live.push(entry)
  live.sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1))
  return new Map(limit < live.length ? live.slice(live.length - limit) : live)
}
