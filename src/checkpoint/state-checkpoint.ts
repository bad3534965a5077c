import { partitionKey, type TopicPartitionOffset } from '../records/partition.ts'
import { type RetryInfo, retry } from '../resilience/retry.ts'
import type { PartitionStates } from '../state/partition-states.ts'
import type { PartitionCommit, StateStore } from '../state/state-store.ts'
import type { EpochLedger } from './epoch-ledger.ts'

/** A partition's changes for an epoch, and the offset its checkpoint held before. */
export interface Taken {
  readonly commit: PartitionCommit
  readonly before: string | null
}

/** A partition's state as restored from the store, for the restore event. */
export interface Restored {
  readonly checkpointId: string | null
  readonly durationMs: number
  readonly keys: number
}

/** What saving an epoch's state came to. */
export type SaveOutcome =
  | { readonly outcome: 'saved'; readonly bytes: number }
  /** The group is rebalancing: the state is kept and written first by the next epoch. */
  | { readonly outcome: 'deferred' }
  /** Nothing left to write for partitions still owned. */
  | { readonly outcome: 'nothing' }

const FOREVER = { retries: Number.POSITIVE_INFINITY, baseMs: 200, maxMs: 5_000 }

/** Called before each wait while the store is unreachable (heartbeats the group, reports the wait). */
export type StoreWait = (info: RetryInfo) => void | Promise<void>

/**
 * The state half of the checkpoint argument: each partition's state is loaded before its first
 * record, its changes are taken with the epoch's offsets, and written with them atomically. State
 * never runs ahead of the offsets it reflects.
 */
export class StateCheckpoint {
  private readonly topology: string
  private readonly store: StateStore
  private readonly ledger: EpochLedger
  private readonly states: PartitionStates
  private readonly clock: () => number
  private readonly retry: typeof FOREVER & { onRetry?: StoreWait }
  /** State a rebalance kept from being written; written first by the next epoch. */
  private deferred: PartitionCommit[] = []
  private reportedEvictions = 0

  constructor(opts: {
    topology: string
    store: StateStore
    states: PartitionStates
    ledger: EpochLedger
    clock?: () => number
    onWait?: StoreWait
  }) {
    this.topology = opts.topology
    this.store = opts.store
    this.states = opts.states
    this.ledger = opts.ledger
    this.clock = opts.clock ?? Date.now
    this.retry = { ...FOREVER, ...(opts.onWait ? { onRetry: opts.onWait } : {}) }
  }

  /**
   * Loads a partition's state the first time its records arrive, with the epoch it may have left
   * unfinished. Returns the offset to resume at (records below it are durable already) and, when
   * it loaded, what it restored.
   */
  async resume(topic: string, partition: number): Promise<{ at: bigint | null; restored?: Restored }> {
    const store = this.store
    let restored: Restored | undefined
    if (!this.states.has(topic, partition)) {
      const started = this.clock()
      const ref = { topology: this.topology, topic, partition }
      // Claimed: a member that held the partition before can no longer write it. Only the dedup
      // keys memory can hold are loaded: the rest stay in the store.
      const state = await retry(
        () => store.load(ref, this.clock(), { claim: true, dedupLimit: this.states.dedupLoadLimit }),
        this.retry,
      )
      restored = {
        checkpointId: state.offset,
        durationMs: this.clock() - started,
        keys: state.dedup.size + state.kv.size,
      }
      this.states.set(topic, partition, state)
      this.ledger.restore(topic, partition, state.meta)
    }
    const offset = this.states.get(topic, partition).offset
    return { at: offset === null ? null : BigInt(offset), ...(restored ? { restored } : {}) }
  }

  /**
   * Takes each partition's state changes with its offset, synchronously at the start of an epoch:
   * the partitions of this epoch, plus any whose windows a tick closed without new records (they
   * keep their checkpointed offset), but none `held`. Changes made after this belong to the
   * next epoch. Each comes with the offset its checkpoint held before (null: never checkpointed).
   */
  take(offsets: readonly TopicPartitionOffset[], held: ReadonlySet<string>): Taken[] {
    const next = new Map(offsets.map((o) => [partitionKey(o.topic, o.partition), o]))
    for (const p of this.states.withChanges()) {
      const key = partitionKey(p.topic, p.partition)
      const offset = this.states.has(p.topic, p.partition)
        ? this.states.get(p.topic, p.partition).offset
        : null
      if (offset !== null && !next.has(key) && !held.has(key)) next.set(key, { ...p, offset })
    }
    return [...next.values()]
      .filter((o) => this.states.has(o.topic, o.partition))
      .map((o) => {
        const state = this.states.get(o.topic, o.partition)
        const before = state.offset
        state.offset = o.offset
        return {
          commit: {
            ref: { topology: this.topology, topic: o.topic, partition: o.partition },
            changes: this.states.take(o.topic, o.partition),
            offset: o.offset,
            ...(state.owner === undefined ? {} : { owner: state.owner }),
          },
          before,
        }
      })
  }

  /**
   * Records the epoch's intents before anything of it is written, after the state a rebalance
   * deferred (older first). A crash from here on leaves the next owner the epoch to re-form.
   */
  async intend(intents: readonly PartitionCommit[]): Promise<void> {
    const batch = [...this.deferred, ...intents].filter((c) => this.states.has(c.ref.topic, c.ref.partition))
    this.deferred = []
    if (batch.length > 0) await retry(() => this.store.commit(batch, this.clock()), this.retry)
  }

  /**
   * Writes an epoch's state after any a rebalance deferred (older first, as the stores apply them).
   * While the group rebalances a partition may be on its way to another member, which loads its
   * state when the rebalance completes: writing now could land after that load, so it waits.
   */
  async save(taken: readonly PartitionCommit[], rebalancing: boolean): Promise<SaveOutcome> {
    const store = this.store
    if (rebalancing) {
      this.deferred.push(...taken)
      return { outcome: 'deferred' }
    }
    // An epoch lands in the background, so the group may have moved partitions since it started:
    // a partition given away must not get this member's state after its new owner loaded it.
    const batch = [...this.deferred, ...taken].filter((c) => this.states.has(c.ref.topic, c.ref.partition))
    this.deferred = []
    if (batch.length === 0) return { outcome: 'nothing' }
    const { bytes } = await retry(() => store.commit(batch, this.clock()), this.retry)
    return { outcome: 'saved', bytes }
  }

  /** After a rebalance: forget partitions this member no longer owns (their new owner reloads them). */
  retainOnly(owned: ReadonlySet<string>): void {
    this.deferred = this.deferred.filter((c) => owned.has(partitionKey(c.ref.topic, c.ref.partition)))
    this.ledger.retainOnly(owned)
  }

  /** Dedup keys in memory, their bound, and evictions since start. */
  dedup(): ReturnType<PartitionStates['dedup']> {
    return this.states.dedup()
  }

  /** Dedup keys evicted from memory since the previous call. */
  newEvictions(): number {
    const { evicted } = this.states.dedup()
    const n = evicted - this.reportedEvictions
    this.reportedEvictions = evicted
    return n
  }
}
