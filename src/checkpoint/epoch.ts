import type { TopicPartitionOffset } from '../records/partition.ts'
import type { FlushResult, Sink } from '../sinks/sink.ts'
import type { CommitOutcome } from '../sources/source.ts'
import type { SaveOutcome } from './state-checkpoint.ts'

export interface EpochSteps {
  /** Every sink the pipeline writes to; all are flushed before anything is committed. */
  readonly sinks: readonly Sink<never>[]
  /** Persists operator state together with the offsets (the stateful layer). */
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
 * One checkpoint, in the order that makes the output effectively-once:
 *   1. flush every sink: rows durable in ClickHouse, rejects in the DLQ topic (a failure aborts
 *      the epoch, nothing after it happens, and the records are re-read on restart);
 *   2. save operator state with these input offsets, atomically;
 *   3. commit the offsets to Kafka.
 * A crash between any two steps replays records whose rows are already written; the tables are
 * keyed by (topic, partition, offset), so the replay collapses under FINAL instead of duplicating.
 * A rebalance defers step 2, and then step 3 too: offsets never run ahead of the state. A commit
 * refused or failed leaves the offsets pending: the next epoch commits them (from the state).
 *
 * Every sink's flush is called before the first await, so the sinks' contents are taken at the
 * call: records added while the epoch lands belong to the next one.
 */
export async function commitEpoch(
  steps: EpochSteps,
  offsets: readonly TopicPartitionOffset[],
): Promise<EpochResult> {
  const flushed = await Promise.all(steps.sinks.map((s) => s.flush()))
  const state = await steps.saveState()
  if (state.outcome === 'deferred' || offsets.length === 0) return { flushed, state, committed: [] }
  const outcome = await steps.commitOffsets(offsets)
  return { flushed, state, committed: outcome === 'committed' ? offsets : [] }
}
