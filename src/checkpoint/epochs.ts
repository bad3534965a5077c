import { partitionKey, type TopicPartitionOffset } from '../records/partition.ts'
import type { Sink } from '../sinks/sink.ts'
import type { CommitOutcome } from '../sources/source.ts'
import { emptyChanges, type PartitionCommit } from '../state/state-store.ts'
import { commitEpoch, type EpochResult } from './epoch.ts'
import { type EpochLedger, LEDGER_META } from './epoch-ledger.ts'
import { type EpochPolicy, epochDue } from './epoch-policy.ts'
import type { PartitionProgress } from './progress.ts'
import type { StateCheckpoint } from './state-checkpoint.ts'

/** An epoch that landed: what it covered and what its steps came to. */
export interface LandedEpoch {
  readonly id: string
  readonly started: number
  readonly offsets: readonly TopicPartitionOffset[]
  readonly consumed: ReadonlyMap<string, number>
  readonly result: EpochResult
}

export interface EpochsOptions {
  readonly name: string
  readonly sinks: readonly Sink<never>[]
  readonly progress: PartitionProgress
  readonly state: StateCheckpoint
  readonly ledger: EpochLedger
  readonly policy: EpochPolicy
  /** Early gold results and window state into the pending state changes, before anything is taken. */
  readonly prepare: () => void
  readonly rebalancing: () => boolean
  /**
   * Commits offsets to Kafka; called only with partitions this member still owns. A commit that
   * did not happen is not a failure (the state holds the offsets): the next epoch commits again.
   */
  readonly commit: (offsets: readonly TopicPartitionOffset[]) => Promise<CommitOutcome>
  readonly onStart?: (id: string) => void
  readonly onLanded?: (epoch: LandedEpoch) => Promise<void>
  /** An epoch's writes failed: nothing after the failed step happened, and no epoch starts again. */
  readonly onFailed?: (
    err: unknown,
    epoch: { started: number; consumed: ReadonlyMap<string, number> },
  ) => Promise<void>
  readonly clock?: () => number
}

/**
 * Starts and lands epochs. What an epoch covers (sink contents, offsets, state changes) is fixed
 * synchronously when it starts; its writes (flush, then state, then offsets) land in the background
 * while the next records are processed. One epoch lands at a time: the next waits for it, which
 * keeps epochs in order, bounds what is held to two epochs' records, and is the backpressure.
 */
export class Epochs {
  private readonly opts: EpochsOptions
  private readonly clock: () => number
  private landing: Promise<void> = Promise.resolve()
  private lastStart: number

  constructor(opts: EpochsOptions) {
    this.opts = opts
    this.clock = opts.clock ?? Date.now
    this.lastStart = this.clock()
  }

  /** Rows in some sink that no record of this epoch put there: gold windows an idle tick closed. */
  private get maxPending(): number {
    let max = 0
    for (const s of this.opts.sinks) if (s.pending > max) max = s.pending
    return max
  }

  due(): boolean {
    const { progress, policy } = this.opts
    return epochDue(policy, {
      inFlight: progress.inFlight,
      maxPending: this.maxPending,
      sinceLastMs: this.clock() - this.lastStart,
      caughtUp: progress.caughtUp(),
      uncommitted: progress.uncommitted,
    })
  }

  /**
   * Starts an epoch once the previous one landed; the returned promise settles when it started.
   * None starts while the group rebalances: a partition may be on its way to another member, which
   * must find its last intent before it loads the partition.
   */
  async start(): Promise<void> {
    await this.landing
    const { progress, state, sinks, ledger } = this.opts
    if (progress.inFlight === 0 && this.maxPending === 0 && !progress.uncommitted) return
    if (this.opts.rebalancing()) return
    this.opts.prepare()
    const started = this.clock()
    const held = ledger.held((key) => progress.readTo(key))
    const { offsets, ranges } = progress.take(held)
    const taken = state.take(offsets, held)
    // Only partitions re-forming an epoch hold rows, and none of them is due yet.
    if (taken.length === 0) return
    // Each partition's range: what it read, or nothing (rows an idle tick made, a commit retried).
    const parts = ledger.begin(
      taken.map(({ commit: c, before }) => {
        const read = ranges.get(partitionKey(c.ref.topic, c.ref.partition))
        const at = before ?? c.offset
        return (
          read ?? { topic: c.ref.topic, partition: c.ref.partition, from: at, to: String(BigInt(at) - 1n) }
        )
      }),
    )
    const intents: PartitionCommit[] = []
    for (const [i, part] of parts.entries()) {
      const { commit, before } = taken[i]!
      commit.changes.meta[LEDGER_META.intent] = ''
      commit.changes.meta[LEDGER_META.epoch] = String(part.intent.n + 1)
      intents.push({
        ref: commit.ref,
        changes: { ...emptyChanges(), meta: { [LEDGER_META.intent]: JSON.stringify(part.intent) } },
        offset: before ?? part.intent.from,
        ...(commit.owner === undefined ? {} : { owner: commit.owner }),
      })
    }
    const consumed = new Map([...ranges].map(([key, r]) => [key, r.records]))
    this.lastStart = started
    const id = `${this.opts.name}-${started}`
    this.opts.onStart?.(id)
    const written = commitEpoch(
      {
        intend: () => state.intend(intents),
        sinks,
        saveState: () =>
          state.save(
            taken.map((t) => t.commit),
            this.opts.rebalancing(),
          ),
        commitOffsets: async (o) => {
          const mine = progress.ownedOnly(o)
          return mine.length === 0 ? 'committed' : this.opts.commit(mine)
        },
      },
      offsets,
      new Map(parts.map((p) => [p.key, p.block])),
    )
    this.landing = this.land(written, { id, started, offsets, consumed })
    // Reported through onFailed; drain() and the next start() still see the rejection.
    this.landing.catch(() => {})
  }

  /** Starts a last epoch for what is held and waits until it landed. */
  async drain(): Promise<void> {
    await this.start()
    await this.landing
  }

  /** Settles when the latest epoch landed; rejects with its failure. */
  get landed(): Promise<void> {
    return this.landing
  }

  private async land(written: Promise<EpochResult>, epoch: Omit<LandedEpoch, 'result'>): Promise<void> {
    let result: EpochResult
    try {
      result = await written
    } catch (err) {
      await this.opts.onFailed?.(err, epoch).catch(() => {})
      throw err
    }
    this.opts.progress.landed(result.committed)
    await this.opts.onLanded?.({ ...epoch, result })
  }
}
