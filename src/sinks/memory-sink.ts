import { partitionKey, type TopicPartition } from '../records/partition.ts'
import { Partitioned } from './partitioned.ts'
import type { EpochBlocks, FlushResult, Sink } from './sink.ts'

/** Where a sink without `partitionOf` keeps everything. */
const ALL: TopicPartition = { topic: '', partition: 0 }

/**
 * The in-memory twin of every sink: what the test driver reads back. With `partitionOf` it holds
 * items per input partition as the table sinks do (a flush takes the listed partitions only);
 * without, a flush takes everything.
 */
export class MemorySink<T> implements Sink<T> {
  readonly name: string
  readonly flushed: T[] = []
  private readonly partitionOf: ((item: T) => TopicPartition) | undefined
  private readonly held = new Partitioned<T[]>(() => [])

  constructor(name: string, partitionOf?: (item: T) => TopicPartition) {
    this.name = name
    this.partitionOf = partitionOf
  }

  add(item: T): void {
    const tp = this.partitionOf?.(item) ?? ALL
    this.held.of(tp.topic, tp.partition).push(item)
  }

  get pending(): number {
    let n = 0
    for (const items of this.held.buckets()) n += items.length
    return n
  }

  /** Everything added, flushed or not: what a reader sees once the next checkpoint lands. */
  get all(): readonly T[] {
    return [...this.flushed, ...[...this.held.buckets()].flat()]
  }

  async flush(blocks: EpochBlocks, ready?: Promise<void>): Promise<FlushResult> {
    const keys = this.partitionOf ? blocks.keys() : [partitionKey(ALL.topic, ALL.partition)]
    const taken = this.held.take(keys).flatMap((p) => p.bucket)
    await ready
    this.flushed.push(...taken)
    return { sink: this.name, rows: taken.length, durationMs: 0 }
  }

  retainOnly(owned: ReadonlySet<string>): void {
    if (this.partitionOf) this.held.retainOnly(owned)
  }
}
