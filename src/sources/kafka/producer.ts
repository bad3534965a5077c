import { type Kafka, Partitioners, type Producer } from 'kafkajs'

/**
 * A producer whose retries never duplicate: the broker drops a re-sent batch by its producer id
 * and sequence number. kafkajs keeps sequences right only with one request in flight per broker
 * (tulios/kafkajs#598: OUT_OF_ORDER_SEQUENCE_NUMBER otherwise); its default partitioner keeps a
 * keyed record on one partition across retries.
 */
export function idempotentProducer(kafka: Kafka): Producer {
  return kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  })
}
