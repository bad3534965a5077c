import { partitionKey, type TopicPartition, type TopicPartitionOffset } from '../records/partition.ts'
import type { KafkaRecord } from '../records/record.ts'
import type { CommitOutcome, Source, SourceListener } from './source.ts'

/**
 * The in-memory twin of `KafkaSource`: a test hands batches over, rebalances and refuses commits
 * by hand, and reads what was committed, to test the checkpoint protocol without a broker.
 */
export class MemorySource implements Source {
  /** Committed offset per partition (`partitionKey`): the next offset to read. */
  readonly committed = new Map<string, string>()
  /** While set, commits are refused as a broker refuses them during a rebalance. */
  refuseCommits = false
  paused = false
  stopped = false
  private listener?: SourceListener

  async start(listener: SourceListener): Promise<void> {
    this.listener = listener
  }

  /** Hands one partition's records over as a consumer would; resolves when the handler returned. */
  deliver(records: readonly KafkaRecord[], opts: { highWatermark?: string; active?: () => boolean } = {}) {
    const first = records[0]
    if (!first) throw new Error('deliver needs at least one record')
    const last = records[records.length - 1]!
    return this.on().onBatch({
      topic: first.topic,
      partition: first.partition,
      records,
      highWatermark: opts.highWatermark ?? String(BigInt(last.offset) + 1n),
      heartbeat: async () => {},
      isActive: opts.active ?? (() => !this.stopped),
    })
  }

  rebalancing(): void {
    this.on().onRebalancing()
  }

  assign(partitions: readonly TopicPartition[]): void {
    this.on().onAssigned(partitions)
  }

  crash(err: unknown): void {
    this.on().onCrash(err)
  }

  async commit(offsets: readonly TopicPartitionOffset[]): Promise<CommitOutcome> {
    if (this.refuseCommits) return 'refused'
    for (const o of offsets) this.committed.set(partitionKey(o.topic, o.partition), o.offset)
    return 'committed'
  }

  pause(): void {
    this.paused = true
  }

  async stop(): Promise<void> {
    this.stopped = true
  }

  private on(): SourceListener {
    if (!this.listener) throw new Error('MemorySource: start() was not called')
    return this.listener
  }
}
