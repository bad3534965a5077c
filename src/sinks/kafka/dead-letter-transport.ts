import type { Admin, Kafka, Message, Producer } from 'kafkajs'
import { partitionKey, type TopicPartition } from '../../records/partition.ts'
import { chunked } from './send-chunked.ts'

/** How the dead-letter sink sends: one input partition's rejects of one epoch at a time. */
export interface DeadLetterTransport {
  /**
   * Sends the rejects of one input partition's block, once: `through` is the input offset just
   * past the block. A block sent before (the replay of an epoch after a crash) is not sent again.
   */
  sendBlock(tp: TopicPartition, through: string, messages: readonly Message[]): Promise<void>
  /** Forgets partitions this member no longer owns. */
  retainOnly(owned: ReadonlySet<string>): Promise<void>
  close(): Promise<void>
}

/**
 * Exactly once for `read_committed` readers of the dead-letter topic: each input partition's
 * rejects go out in a Kafka transaction that also commits a marker, the offset just past the
 * block, for that input partition in the group `<group>-dlq`. A replayed block finds its marker
 * and is skipped; a failed transaction is aborted and leaves no marker. The transactional id is
 * per input partition, so the partition's next owner fences a stale member's transaction.
 */
export class TransactionalDeadLetters implements DeadLetterTransport {
  private readonly kafka: Kafka
  private readonly topic: string
  private readonly markerGroup: string
  private readonly transactionalPrefix: string
  private readonly producers = new Map<string, Promise<Producer>>()
  /** The marker per input partition, as read from Kafka once and then kept up to date. */
  private readonly markers = new Map<string, bigint>()
  private admin?: Promise<Admin>

  constructor(opts: { kafka: Kafka; topic: string; group: string }) {
    this.kafka = opts.kafka
    this.topic = opts.topic
    this.markerGroup = `${opts.group}-dlq`
    this.transactionalPrefix = `${opts.group}-dlq`
  }

  async sendBlock(tp: TopicPartition, through: string, messages: readonly Message[]): Promise<void> {
    if (messages.length === 0) return
    const key = partitionKey(tp.topic, tp.partition)
    const end = BigInt(through)
    if ((await this.marker(tp)) >= end) return
    const producer = await this.producer(tp)
    const txn = await producer.transaction()
    try {
      for (const chunk of chunked(messages)) await txn.send({ topic: this.topic, messages: chunk, acks: -1 })
      await txn.sendOffsets({
        consumerGroupId: this.markerGroup,
        topics: [{ topic: tp.topic, partitions: [{ partition: tp.partition, offset: through }] }],
      })
      await txn.commit()
    } catch (err) {
      await txn.abort().catch(() => {})
      // The commit's outcome is unknown: read the marker again before the next attempt.
      this.markers.delete(key)
      throw err
    }
    this.markers.set(key, end)
  }

  private async marker(tp: TopicPartition): Promise<bigint> {
    const key = partitionKey(tp.topic, tp.partition)
    const known = this.markers.get(key)
    if (known !== undefined) return known
    this.admin ??= (async () => {
      const admin = this.kafka.admin()
      await admin.connect()
      return admin
    })()
    const [offsets] = await (await this.admin).fetchOffsets({ groupId: this.markerGroup, topics: [tp.topic] })
    const found = offsets?.partitions.find((p) => p.partition === tp.partition)?.offset ?? '-1'
    const marker = BigInt(found)
    this.markers.set(key, marker)
    return marker
  }

  private producer(tp: TopicPartition): Promise<Producer> {
    const key = partitionKey(tp.topic, tp.partition)
    let p = this.producers.get(key)
    if (p === undefined) {
      p = (async () => {
        const producer = this.kafka.producer({
          transactionalId: `${this.transactionalPrefix}-${tp.topic}-${tp.partition}`,
          idempotent: true,
          maxInFlightRequests: 1,
        })
        await producer.connect()
        return producer
      })()
      // A failed connect is retried by the next block.
      p.catch(() => this.producers.delete(key))
      this.producers.set(key, p)
    }
    return p
  }

  async retainOnly(owned: ReadonlySet<string>): Promise<void> {
    for (const key of [...this.producers.keys()]) {
      if (owned.has(key)) continue
      const p = this.producers.get(key)!
      this.producers.delete(key)
      this.markers.delete(key)
      await (await p.catch(() => undefined))?.disconnect().catch(() => {})
    }
  }

  async close(): Promise<void> {
    await this.retainOnly(new Set())
    await (await this.admin?.catch(() => undefined))?.disconnect().catch(() => {})
  }
}
