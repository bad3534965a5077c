import type { TopicPartition, TopicPartitionOffset } from '../records/partition.ts'
import type { KafkaRecord } from '../records/record.ts'

/** Records of one partition, fetched together. */
export interface SourceBatch extends TopicPartition {
  readonly records: readonly KafkaRecord[]
  /** The partition's high watermark when fetched: the offset the next produced record gets. */
  readonly highWatermark: string
  /** Keeps the group membership alive while the batch waits on a dependency. */
  heartbeat(): Promise<void>
  /** False once the batch is stale (a rebalance took its partition) or the source is stopping. */
  isActive(): boolean
}

/** What a source calls back; batches are handed over one at a time (the handler is awaited). */
export interface SourceListener {
  /** Resolves true when the batch was taken (processed, or skipped as durable already). */
  onBatch(batch: SourceBatch): Promise<boolean>
  /** The group starts rebalancing: partitions may be taken away at any moment now. */
  onRebalancing(): void
  /** The member's partitions after a rebalance (all of them, not only the new ones). */
  onAssigned(partitions: readonly TopicPartition[]): void
  /** The source stopped for good on an error it could not recover from. */
  onCrash(err: unknown): void
}

/**
 * Outcome of a commit. Never an exception: the state store holds the offsets already, so a commit
 * that did not happen is retried by the next epoch. `refused`: the group moved on (a rebalance, a
 * lost membership); `failed`: the broker could not be reached.
 */
export type CommitOutcome = 'committed' | 'refused' | 'failed'

/**
 * The input side of a topology: a consumer group over its topics. Kafka in production
 * (`KafkaSource`), `MemorySource` in tests of the checkpoint protocol.
 */
export interface Source {
  start(listener: SourceListener): Promise<void>
  commit(offsets: readonly TopicPartitionOffset[]): Promise<CommitOutcome>
  /** Stops fetching; batches under way finish. */
  pause(): void
  /** Leaves the group and disconnects. */
  stop(): Promise<void>
}
