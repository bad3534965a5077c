import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs'
import type { Logger } from 'pino'
import type { TributaryConfig } from '../../config/config.ts'
import { groupMovedOn } from '../../errors/kafka-errors.ts'
import type { TopicPartitionOffset } from '../../records/partition.ts'
import type { CommitOutcome, Source, SourceListener } from '../source.ts'
import { toRecord } from './to-record.ts'

/** A kafkajs consumer group as a `Source`: manual offsets, one partition's batch at a time. */
export class KafkaSource implements Source {
  private readonly kafka: Kafka
  private readonly groupId: string
  private readonly topics: readonly string[]
  private readonly settings: TributaryConfig['source']
  private readonly log: Logger
  private consumer?: Consumer
  /** The group is joined and fetching: before that there is nothing to pause. */
  private running = false

  constructor(opts: {
    kafka: Kafka
    groupId: string
    topics: readonly string[]
    settings: TributaryConfig['source']
    log: Logger
  }) {
    this.kafka = opts.kafka
    this.groupId = opts.groupId
    this.topics = opts.topics
    this.settings = opts.settings
    this.log = opts.log
  }

  async start(listener: SourceListener): Promise<void> {
    const { sessionTimeoutMs, fromBeginning, fetchMaxBytes } = this.settings
    const consumer = this.kafka.consumer({
      groupId: this.groupId,
      sessionTimeout: sessionTimeoutMs,
      heartbeatInterval: Math.min(3000, Math.floor(sessionTimeoutMs / 5)),
      // A fetch is decoded into JS objects all at once and held until processed: its size, not
      // the backlog, is what the consumer holds (a full 32 MiB fetch held ~440k records, ~400 MB).
      maxBytesPerPartition: Math.max(65_536, Math.floor(fetchMaxBytes / 4)),
      maxBytes: fetchMaxBytes,
      maxWaitTimeInMs: 200,
    })
    this.consumer = consumer
    consumer.on(consumer.events.REBALANCING, () => listener.onRebalancing())
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      const assignment = e.payload.memberAssignment as Record<string, number[]>
      listener.onAssigned(
        Object.entries(assignment).flatMap(([topic, ps]) => ps.map((partition) => ({ topic, partition }))),
      )
    })
    consumer.on(consumer.events.CRASH, (e) => {
      if (!e.payload.restart) listener.onCrash(e.payload.error)
    })
    await consumer.connect()
    await consumer.subscribe({ topics: [...this.topics], fromBeginning })
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: (payload) => this.onBatch(payload, listener),
    })
    this.running = true
  }

  private async onBatch(
    { batch, heartbeat, isRunning, isStale, resolveOffset }: EachBatchPayload,
    listener: SourceListener,
  ): Promise<void> {
    if (batch.messages.length === 0) return
    const taken = await listener.onBatch({
      topic: batch.topic,
      partition: batch.partition,
      records: batch.messages.map((m) => toRecord(batch.topic, batch.partition, m)),
      highWatermark: batch.highWatermark,
      heartbeat,
      isActive: () => isRunning() && !isStale(),
    })
    // Tells kafkajs where to fetch next; nothing is committed until an epoch makes it durable.
    if (taken) resolveOffset(batch.messages[batch.messages.length - 1]!.offset)
  }

  async commit(offsets: readonly TopicPartitionOffset[]): Promise<CommitOutcome> {
    try {
      await this.consumer!.commitOffsets(offsets.map((x) => ({ ...x })))
      return 'committed'
    } catch (err) {
      const moved = groupMovedOn(err)
      this.log.warn(
        { err, offsets },
        moved
          ? `offset commit refused (${moved}): the group moved on; the partitions' owner resumes from the checkpoint`
          : 'offset commit failed: the next checkpoint commits again',
      )
      return moved ? 'refused' : 'failed'
    }
  }

  pause(): void {
    // kafkajs throws when pausing before run(); a stop during start-up has nothing fetching yet.
    if (this.running) this.consumer?.pause(this.topics.map((topic) => ({ topic })))
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect()
  }
}
