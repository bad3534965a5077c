import type { TopicPartitionOffset } from '../records/partition.ts'
import type { EpochBlocks, FlushResult, Sink } from '../sinks/sink.ts'
import type { CommitOutcome } from '../sources/source.ts'
import type { SaveOutcome } from './state-checkpoint.ts'

export interface EpochSteps {
  /** Records what the epoch is about to write (its intents) with the partitions' state. */
  readonly intend: () => Promise<void>
  /** Every sink the pipeline writes to; all are flushed before anything is committed. */
  readonly sinks: readonly Sink<never>[]
  /** Persists operator state together with the offsets, and clears the intents. */
  readonly saveState: () => Promise<SaveOutcome>
  /** Commits what this member still owns; a commit that did not happen is retried by the next epoch. */
  readonly commitOffsets: (offsets: readonly TopicPartitionOffset[]) => Promise<CommitOutcome>
}

export interface EpochResult {
  readonly flushed: readonly FlushResult[]
  readonly state: SaveOutcome
  /** The offsets committed: none when the state was deferred or the commit did not happen. */
  readonly committed: readonly TopicPartitionOffset[]
}

/**
 * One checkpoint, in the order that makes every table exact without FINAL:
 *   0. record the epoch's intents: per input partition, the offsets it covers, its number and the
 *      ingest time of its rows;
 *   1. flush every sink, one block per (sink, partition) named after the intent: rows durable in
 *      ClickHouse, rejects in the DLQ topic (a failure aborts the epoch, nothing after it happens);
 *   2. save operator state with these input offsets, atomically, and clear the intents;
 *   3. commit the offsets to Kafka.
 * A crash between any two steps leaves the partition's next owner the intent: it re-forms the same
 * blocks from the replayed records, and ClickHouse drops them as duplicates (by token where the
 * server takes one, by the block's hash in Replicated tables).
 * A rebalance defers step 2, and then step 3 too: offsets never run ahead of the state. A commit
 * refused or failed leaves the offsets pending: the next epoch commits them (from the state).
 *
 * Every sink's flush is called before the first await, so the sinks' contents are taken at the
 * call (records processed while the epoch lands belong to the next one); each flush writes only
 * once the intents are recorded.
 */
export async function commitEpoch(
  steps: EpochSteps,
  offsets: readonly TopicPartitionOffset[],
  blocks: EpochBlocks,
): Promise<EpochResult> {
  const intended = steps.intend()
  const flushed = await Promise.all(steps.sinks.map((s) => s.flush(blocks, intended)))
  const state = await steps.saveState()
  if (state.outcome === 'deferred' || offsets.length === 0) return { flushed, state, committed: [] }
  const outcome = await steps.commitOffsets(offsets)
  return { flushed, state, committed: outcome === 'committed' ? offsets : [] }
}
