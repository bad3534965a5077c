/** A Kafka message as the source hands it over: raw bytes plus where it came from. */
export interface KafkaRecord {
  readonly topic: string
  readonly partition: number
  /** Kafka offsets are int64; kept as the string kafkajs gives to stay exact. */
  readonly offset: string
  /** Kafka timestamp, epoch milliseconds. */
  readonly timestamp: number
  readonly key: Buffer | null
  readonly value: Buffer | null
  readonly headers: Readonly<Record<string, string>>
}

/** A decoded record on its way through the pipeline, never separated from its lineage. */
export interface Envelope<T> {
  readonly value: T
  readonly source: KafkaRecord
  /** Event time, epoch milliseconds: the topology's `eventTime` or else the Kafka timestamp. */
  readonly eventTime: number
  readonly schemaId: number | null
}
