import type { Message } from 'kafkajs'
import { bindFormat } from '../src/serde/bind.ts'
import { avro, json } from '../src/serde/format.ts'
import type { SchemaRegistry } from '../src/serde/registry.ts'
import { sendChunked } from '../src/sinks/kafka/send-chunked.ts'
import { idempotentProducer } from '../src/sources/kafka/producer.ts'
import {
  type BenchEvent,
  benchEventSchema,
  eventAt,
  eventIndexOfMessage,
  historyStart,
  uniqueEvents,
} from './event.ts'
import { garbageAt, garbageCount } from './garbage.ts'
import type { BenchKafka } from './kafka.ts'

export type Variant = 'avro' | 'json'

export interface Dataset {
  /** Topic per variant: the same events, Avro (Confluent wire format) and JSON. */
  readonly topics: Record<Variant, string>
  /** The Avro topic's messages with 20% of them garbage (bench/garbage.ts). */
  readonly garbageTopic: string
  readonly garbageMessages: number
  readonly partitions: number
  /** Messages per topic, duplicates included. */
  readonly messages: number
  /** Distinct events (what a deduplicating pipeline keeps). */
  readonly unique: number
  /** Event time of event 0: with the message count, it regenerates every event (`distinctEvents`). */
  readonly baseTime: number
  readonly avgValueBytes: Record<Variant, number>
  readonly produceSeconds: number
}

/** Messages generated and sent per step, so a million never sit in memory at once. */
const CHUNK = 20_000

/**
 * Produces the fixed dataset once, before anything is timed: `messages` messages keyed by event id
 * (kafkajs' default partitioner, murmur2 as in the Java client), to one topic per variant.
 */
export async function produceDataset(options: {
  kafka: BenchKafka
  registry: SchemaRegistry
  topicPrefix: string
  messages: number
  partitions: number
}): Promise<Dataset> {
  const { kafka, registry, topicPrefix, messages, partitions } = options
  const started = Date.now()
  const topics: Record<Variant, string> = { avro: `${topicPrefix}avro`, json: `${topicPrefix}json` }
  const garbageTopic = `${topicPrefix}avro_garbage`
  const serdes = {
    avro: bindFormat(avro(benchEventSchema), registry),
    json: bindFormat(json(benchEventSchema), registry),
  }
  const bytes: Record<Variant, number> = { avro: 0, json: 0 }
  const baseTime = historyStart(messages, started)
  const producer = idempotentProducer(kafka.kafka)
  await producer.connect()
  try {
    for (const topic of [topics.avro, topics.json, garbageTopic]) await kafka.createTopic(topic, partitions)
    // Its clean messages are the Avro topic's bytes: register their schema under the garbage
    // topic's subject too, as a producer writing to it would (same schema, same id).
    await registry.register(avro(benchEventSchema).subject(garbageTopic), benchEventSchema)
    for (let from = 0; from < messages; from += CHUNK) {
      const batch: Record<Variant, Message[]> = { avro: [], json: [] }
      const garbage: Message[] = []
      for (let j = from; j < Math.min(messages, from + CHUNK); j++) {
        const event = eventAt(eventIndexOfMessage(j), baseTime)
        for (const variant of ['avro', 'json'] as const) {
          const value = await serdes[variant].encode(event, topics[variant])
          bytes[variant] += value.length
          batch[variant].push({ key: event.event_id, value })
        }
        garbage.push({ key: event.event_id, value: garbageAt(j) ?? batch.avro.at(-1)!.value })
      }
      await Promise.all([
        ...(['avro', 'json'] as const).map((v) => sendChunked(producer, topics[v], batch[v])),
        sendChunked(producer, garbageTopic, garbage),
      ])
    }
  } finally {
    await producer.disconnect()
  }
  return {
    topics,
    garbageTopic,
    garbageMessages: garbageCount(messages),
    partitions,
    messages,
    unique: uniqueEvents(messages),
    baseTime,
    avgValueBytes: { avro: bytes.avro / messages, json: bytes.json / messages },
    produceSeconds: (Date.now() - started) / 1000,
  }
}

/** Every distinct event of the dataset, regenerated rather than read back: what a pipeline should keep. */
export function* distinctEvents(dataset: Pick<Dataset, 'messages' | 'baseTime'>): Generator<BenchEvent> {
  for (let j = 0; j < dataset.messages; j++) {
    if (eventIndexOfMessage(j) === j) yield eventAt(j, dataset.baseTime)
  }
}
