import type { Message, Producer } from 'kafkajs'
import type { Rejection } from '../records/rejection.ts'
import { sendChunked } from './kafka/send-chunked.ts'
import { Partitioned } from './partitioned.ts'
import type { EpochBlocks, FlushResult, Sink } from './sink.ts'

/**
 * Rejected records to the dead-letter topic with their original key, value and headers, plus
 * headers saying why and where from, so they can be inspected and replayed as they were.
 */
export class DeadLetterSink implements Sink<Rejection> {
  readonly name: string
  private readonly messages = new Partitioned<Message[]>(() => [])
  private held = 0
  private readonly producer: Producer
  private readonly topic: string
  private readonly send: (fn: () => Promise<unknown>) => Promise<unknown>

  constructor(opts: {
    producer: Producer
    topic: string
    withRetry: (fn: () => Promise<unknown>) => Promise<unknown>
  }) {
    this.producer = opts.producer
    this.topic = opts.topic
    this.name = `dlq:${opts.topic}`
    this.send = opts.withRetry
  }

  add(r: Rejection): void {
    const s = r.source
    this.held++
    this.messages.of(s.topic, s.partition).push({
      key: s.key,
      value: s.value,
      timestamp: String(s.timestamp),
      headers: {
        ...s.headers,
        'tributary.topology': r.topology,
        'tributary.stage': r.stage,
        'tributary.reason.code': r.code,
        'tributary.reason': r.reason.slice(0, 4000),
        'tributary.rules': r.rules.join(','),
        'tributary.source.topic': s.topic,
        'tributary.source.partition': String(s.partition),
        'tributary.source.offset': s.offset,
      },
    })
  }

  get pending(): number {
    return this.held
  }

  async flush(blocks: EpochBlocks, ready?: Promise<void>): Promise<FlushResult> {
    const started = Date.now()
    const messages = this.messages.take(blocks.keys()).flatMap((p) => p.bucket)
    this.held -= messages.length
    await ready
    await sendChunked(this.producer, this.topic, messages, this.send)
    return { sink: this.name, rows: messages.length, durationMs: Date.now() - started }
  }

  retainOnly(owned: ReadonlySet<string>): void {
    this.messages.retainOnly(owned)
    this.held = 0
    for (const m of this.messages.buckets()) this.held += m.length
  }
}
