import type { Message } from 'kafkajs'
import type { Rejection } from '../records/rejection.ts'
import type { DeadLetterTransport } from './kafka/dead-letter-transport.ts'
import { Partitioned } from './partitioned.ts'
import type { EpochBlocks, FlushResult, Sink } from './sink.ts'

/**
 * Rejected records to the dead-letter topic with their original key, value and headers, plus
 * headers saying why and where from, so they can be inspected and replayed as they were. Each
 * input partition's rejects of an epoch go out as one block, once (see TransactionalDeadLetters).
 */
export class DeadLetterSink implements Sink<Rejection> {
  readonly name: string
  private readonly messages = new Partitioned<Message[]>(() => [])
  private held = 0
  private readonly transport: DeadLetterTransport
  private readonly send: (fn: () => Promise<unknown>) => Promise<unknown>

  constructor(opts: {
    transport: DeadLetterTransport
    topic: string
    withRetry: (fn: () => Promise<unknown>) => Promise<unknown>
  }) {
    this.transport = opts.transport
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
    const taken = this.messages.take(blocks.keys())
    let rows = 0
    for (const p of taken) rows += p.bucket.length
    this.held -= rows
    await ready
    await Promise.all(
      taken.map(({ tp, key, bucket }) =>
        this.send(() => this.transport.sendBlock(tp, String(BigInt(blocks.get(key)!.to) + 1n), bucket)),
      ),
    )
    return { sink: this.name, rows, durationMs: Date.now() - started }
  }

  retainOnly(owned: ReadonlySet<string>): void {
    void this.transport.retainOnly(owned)
    this.messages.retainOnly(owned)
    this.held = 0
    for (const m of this.messages.buckets()) this.held += m.length
  }
}
