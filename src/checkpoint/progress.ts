import {
  parsePartitionKey,
  partitionKey,
  type TopicPartition,
  type TopicPartitionOffset,
} from '../records/partition.ts'

/** What one epoch covers on the offsets side: where each partition resumes, and what it read. */
export interface EpochOffsets {
  readonly offsets: readonly TopicPartitionOffset[]
  /** Records read per partition (`partitionKey`) since the previous epoch. */
  readonly consumed: ReadonlyMap<string, number>
}

/**
 * The offsets half of the checkpoint argument: which records went through the pipeline but are
 * not committed yet, how far behind the high watermark each partition is, and which partitions
 * this member owns. Only offsets of records already in the sinks are ever pending, because the
 * pipeline is synchronous.
 */
export class PartitionProgress {
  private readonly pending = new Map<string, TopicPartitionOffset>()
  private consumed = new Map<string, number>()
  /** Records behind the high watermark per partition, as of its last batch. */
  private readonly backlog = new Map<string, number>()
  /** Partitions of the latest assignment; undefined until the first. */
  private owned?: ReadonlySet<string>
  /** Records processed since the last epoch started. */
  inFlight = 0

  /** A batch went through the pipeline; returns the partition's lag behind its high watermark. */
  processed(tp: TopicPartition, lastOffset: string, records: number, highWatermark: string): number {
    const key = partitionKey(tp.topic, tp.partition)
    const next = BigInt(lastOffset) + 1n
    this.pending.set(key, { topic: tp.topic, partition: tp.partition, offset: String(next) })
    this.consumed.set(key, (this.consumed.get(key) ?? 0) + records)
    this.inFlight += records
    const lag = Math.max(0, Number(BigInt(highWatermark) - next))
    this.backlog.set(key, lag)
    return lag
  }

  /** Some offset went through the pipeline and has not been committed to Kafka yet. */
  get uncommitted(): boolean {
    return this.pending.size > 0
  }

  /** No backlog behind any partition read in this epoch: waiting would batch nothing more. */
  caughtUp(): boolean {
    for (const key of this.consumed.keys()) if ((this.backlog.get(key) ?? 1) > 0) return false
    return true
  }

  /** Fixes what an epoch covers; what is read after this belongs to the next one. */
  take(): EpochOffsets {
    const taken = { offsets: [...this.pending.values()], consumed: this.consumed }
    this.consumed = new Map()
    this.inFlight = 0
    return taken
  }

  /** An epoch's offsets are committed: forget them unless newer records moved a partition on. */
  landed(offsets: readonly TopicPartitionOffset[]): void {
    for (const o of offsets) {
      const key = partitionKey(o.topic, o.partition)
      if (this.pending.get(key)?.offset === o.offset) this.pending.delete(key)
    }
  }

  /** A new assignment; returns the partitions this member no longer owns. */
  assigned(partitions: readonly TopicPartition[]): TopicPartition[] {
    const owned = new Set(partitions.map((p) => partitionKey(p.topic, p.partition)))
    const before = [...(this.owned ?? [])]
    this.owned = owned
    for (const key of [...this.pending.keys()]) if (!owned.has(key)) this.pending.delete(key)
    for (const key of [...this.backlog.keys()]) if (!owned.has(key)) this.backlog.delete(key)
    return before.filter((key) => !owned.has(key)).map(parsePartitionKey)
  }

  /** The broker checks the generation, not the assignment: only owned partitions may be committed. */
  ownedOnly<T extends TopicPartition>(items: readonly T[]): T[] {
    const owned = this.owned
    return owned ? items.filter((o) => owned.has(partitionKey(o.topic, o.partition))) : [...items]
  }

  /** Partition keys of the latest assignment, or undefined before the first. */
  get ownedKeys(): ReadonlySet<string> | undefined {
    return this.owned
  }
}
