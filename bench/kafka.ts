import { type Admin, Kafka, logLevel } from 'kafkajs'

/**
 * What the benchmark asks of Kafka itself: topics for one run, and how far a consumer group has
 * committed, which is how "done" is judged for every contender that commits (it commits only what
 * it made durable).
 */
export class BenchKafka {
  readonly kafka: Kafka
  readonly #admin: Admin

  private constructor(brokers: readonly string[]) {
    this.kafka = new Kafka({ clientId: 'tributary-bench', brokers: [...brokers], logLevel: logLevel.NOTHING })
    this.#admin = this.kafka.admin()
  }

  static async connect(brokers: readonly string[]): Promise<BenchKafka> {
    const k = new BenchKafka(brokers)
    await k.#admin.connect()
    return k
  }

  async createTopic(topic: string, partitions: number): Promise<void> {
    await this.#admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true })
  }

  /** Next offset to be written, per partition. */
  async endOffsets(topic: string): Promise<Map<number, number>> {
    const offsets = await this.#admin.fetchTopicOffsets(topic)
    return new Map(offsets.map((o) => [o.partition, Number(o.high)]))
  }

  /** How many of `topic`'s messages up to `end` `groupId` has committed (all of them: caught up). */
  async committed(groupId: string, topic: string, end: Map<number, number>): Promise<number> {
    const [committed] = await this.#admin.fetchOffsets({ groupId, topics: [topic] })
    const byPartition = new Map(committed?.partitions.map((p) => [p.partition, Number(p.offset)]))
    let done = 0
    for (const [partition, high] of end) done += Math.min(high, Math.max(0, byPartition.get(partition) ?? 0))
    return done
  }

  /** Removes the topics this run created, and the dead-letter topics Tributary made for it. */
  async deleteRunTopics(prefix: string): Promise<void> {
    const topics = (await this.#admin.listTopics()).filter((t) => t.startsWith(prefix))
    if (topics.length > 0) await this.#admin.deleteTopics({ topics })
  }

  async close(): Promise<void> {
    await this.#admin.disconnect()
  }
}
