import {
  parsePartitionKey,
  partitionKey,
  type TopicPartition,
  type TopicPartitionOffset,
} from '../records/partition.ts'

/** The input offsets one partition read since the previous epoch. */
export interface ReadRange extends TopicPartition {
  readonly from: string
  readonly to: string
  readonly records: number
}

/** What one epoch covers on the offsets side: where each partition resumes, and what it read. */
export interface EpochOffsets {
  readonly offsets: readonly TopicPartitionOffset[]
  /** Per partition (`partitionKey`) read since the previous epoch. */
  readonly ranges: ReadonlyMap<string, ReadRange>
}

/**
 * The offsets half of the checkpoint argument: which records went through the pipeline but are
 * not committed yet, how far behind the high watermark each partition is, and which partitions
 * this member owns. Only offsets of records already in the sinks are ever pending, because the
 * pipeline is synchronous.
 */
export class PartitionProgress {
  private readonly pending = new Map<string, TopicPartitionOffset>()
  private readonly read = new Map<string, ReadRange>()
  /** Records behind the high watermark per partition, as of its last batch. */
  private readonly backlog = new Map<string, number>()
  /** Partitions of the latest assignment; undefined until the first. */
  private owned?: ReadonlySet<string>
  /** Records processed since the last epoch started. */
  inFlight = 0

  /**
   * A batch lay wholly below the partition's checkpoint (durable already: the state was saved, the
   * Kafka commit was not): the checkpointed offset is committed by the next epoch, so the group's
   * offsets (what lag tools read) catch up with the state even when nothing new arrives.
   */
  durable(tp: TopicPartition, checkpointed: string): void {
    const key = partitionKey(tp.topic, tp.partition)
    const pending = this.pending.get(key)
    if (pending === undefined || BigInt(pending.offset) < BigInt(checkpointed))
      this.pending.set(key, { topic: tp.topic, partition: tp.partition, offset: checkpointed })
  }

  /** A batch went through the pipeline; returns the partition's lag behind its high watermark. */
  processed(
    tp: TopicPartition,
    firstOffset: string,
    lastOffset: string,
    records: number,
    highWatermark: string,
  ): number {
    const key = partitionKey(tp.topic, tp.partition)
    const next = BigInt(lastOffset) + 1n
    this.pending.set(key, { topic: tp.topic, partition: tp.partition, offset: String(next) })
    const before = this.read.get(key)
    this.read.set(key, {
      topic: tp.topic,
      partition: tp.partition,
      from: before?.from ?? firstOffset,
      to: lastOffset,
      records: (before?.records ?? 0) + records,
    })
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
    for (const key of this.read.keys()) if ((this.backlog.get(key) ?? 1) > 0) return false
    return true
  }

  /**
   * Fixes what an epoch covers; what is read after this belongs to the next one. A `held`
   * partition (one re-forming an epoch it recorded before a crash, short of that epoch's end)
   * stays out, offsets and all, until it reaches the end.
   */
  take(held: ReadonlySet<string> = new Set()): EpochOffsets {
    const ranges = new Map<string, ReadRange>()
    for (const [key, range] of this.read) {
      if (held.has(key)) continue
      ranges.set(key, range)
      this.read.delete(key)
      this.inFlight -= range.records
    }
    const offsets = [...this.pending.entries()].filter(([key]) => !held.has(key)).map(([, o]) => o)
    return { offsets, ranges }
  }

  /** The last offset a partition read since the previous epoch, or null when it read none. */
  readTo(key: string): bigint | null {
    const range = this.read.get(key)
    return range ? BigInt(range.to) : null
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
    for (const key of [...this.read.keys()]) {
      if (owned.has(key)) continue
      this.inFlight -= this.read.get(key)!.records
      this.read.delete(key)
    }
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
