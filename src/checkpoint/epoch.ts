import type { FlushResult, Sink } from '../sinks/sink.ts'

export interface TopicPartitionOffset {
  readonly topic: string
  readonly partition: number
  /** The next offset to read: last processed + 1, as Kafka commits it. */
  readonly offset: string
}

export interface EpochSteps {
  /** Every sink the pipeline writes to; all are flushed before anything is committed. */
  readonly sinks: readonly Sink<never>[]
  /** Persists operator state together with the offsets (the stateful layer); a no-op without state. */
  readonly saveState: (offsets: readonly TopicPartitionOffset[]) => Promise<void>
  readonly commitOffsets: (offsets: readonly TopicPartitionOffset[]) => Promise<void>
}

export interface EpochResult {
  readonly flushed: readonly FlushResult[]
  readonly offsets: readonly TopicPartitionOffset[]
}

/**
 * One checkpoint, in the order that makes the output effectively-once:
 *   1. flush every sink: rows durable in ClickHouse, rejects in the DLQ topic (a failure aborts
 *      the epoch, nothing after it happens, and the records are re-read on restart);
 *   2. save operator state with these input offsets, atomically;
 *   3. commit the offsets to Kafka.
 * A crash between any two steps replays records whose rows are already written; the tables are
 * keyed by (topic, partition, offset), so the replay collapses under FINAL instead of duplicating.
 */
export async function commitEpoch(
  steps: EpochSteps,
  offsets: readonly TopicPartitionOffset[],
): Promise<EpochResult> {
  const flushed = await Promise.all(steps.sinks.map((s) => s.flush()))
  await steps.saveState(offsets)
  if (offsets.length > 0) await steps.commitOffsets(offsets)
  return { flushed, offsets }
}
