import type { IHeaders, Message } from 'kafkajs'
import { permanentKafkaError } from '../errors/kafka-errors.ts'
import type { TopicPartition } from '../records/partition.ts'
import { headerListOf, type KafkaRecord } from '../records/record.ts'
import type { Rejection } from '../records/rejection.ts'
import type { DeadLetterTransport } from './kafka/dead-letter-transport.ts'
import { Partitioned } from './partitioned.ts'
import type { EpochBlocks, FlushResult, Sink } from './sink.ts'

/**
 * Room left in a record batch for what is not key, value or header bytes: the batch header (61
 * bytes), the record's varints and attributes, with a margin for the estimate.
 */
const BATCH_OVERHEAD_BYTES = 512

/** Below this a message holds little more than its headers: stop cutting and fail. */
const MIN_FITTED_BYTES = 4096

function byteLength(v: Buffer | string | null | undefined): number {
  if (v === null || v === undefined) return 0
  return typeof v === 'string' ? Buffer.byteLength(v) : v.length
}

/**
 * The message cut to fit `maxBytes`: the value first, then the key. The cut is said in
 * `tributary.truncated` (the original value's length); the quarantine row keeps every byte.
 */
export function fitted(m: Message, maxBytes: number): Message {
  const headers = m.headers ?? {}
  let headerBytes = 0
  for (const [k, v] of Object.entries(headers)) {
    const values = Array.isArray(v) ? v : [v]
    for (const x of values) headerBytes += Buffer.byteLength(k) + byteLength(x as Buffer | string) + 10
  }
  const key = m.key as Buffer | string | null
  const value = m.value as Buffer | string | null
  const room = maxBytes - BATCH_OVERHEAD_BYTES - headerBytes - 64
  if (byteLength(key) + byteLength(value) <= room) return m
  const valueBytes = value === null ? null : Buffer.from(value)
  const keyBytes = key === null ? null : Buffer.from(key)
  const keptKey =
    keyBytes === null ? null : keyBytes.subarray(0, Math.max(0, Math.min(keyBytes.length, room)))
  const keptValue =
    valueBytes === null ? null : valueBytes.subarray(0, Math.max(0, room - byteLength(keptKey)))
  return {
    ...m,
    key: keptKey,
    value: keptValue,
    headers: {
      ...headers,
      'tributary.truncated': String(byteLength(value)),
      ...(keptKey !== null && keptKey.length < byteLength(key)
        ? { 'tributary.truncated.key': String(byteLength(key)) }
        : {}),
    },
  }
}

/**
 * The record's headers as it arrived: bytes unchanged, a repeated name's values in their order,
 * any name (no prototype, so `__proto__` is a header like any other).
 */
function originalHeaders(r: KafkaRecord): IHeaders {
  const out: Record<string, Buffer | Buffer[]> = Object.create(null)
  for (const { key, value } of headerListOf(r)) {
    const v = value ?? Buffer.alloc(0)
    const seen = out[key]
    out[key] = seen === undefined ? v : Array.isArray(seen) ? [...seen, v] : [seen, v]
  }
  return out
}

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
  private readonly maxMessageBytes: number

  constructor(opts: {
    transport: DeadLetterTransport
    topic: string
    withRetry: (fn: () => Promise<unknown>) => Promise<unknown>
    /** The topic's `max.message.bytes`: a larger reject is sent truncated instead of refused. */
    maxMessageBytes: number
  }) {
    this.transport = opts.transport
    this.maxMessageBytes = opts.maxMessageBytes
    this.name = `dlq:${opts.topic}`
    this.send = opts.withRetry
  }

  add(r: Rejection): void {
    const s = r.source
    const message: Message = {
      key: s.key,
      value: s.value,
      timestamp: String(s.timestamp),
      headers: {
        ...originalHeaders(s),
        'tributary.topology': r.topology,
        'tributary.stage': r.stage,
        'tributary.reason.code': r.code,
        'tributary.reason': r.reason.slice(0, 4000),
        'tributary.rules': r.rules.join(','),
        'tributary.source.topic': s.topic,
        'tributary.source.partition': String(s.partition),
        'tributary.source.offset': s.offset,
      },
    }
    this.held++
    this.messages.of(s.topic, s.partition).push(fitted(message, this.maxMessageBytes))
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
        this.sendBlock(tp, String(BigInt(blocks.get(key)!.to) + 1n), bucket),
      ),
    )
    return { sink: this.name, rows, durationMs: Date.now() - started }
  }

  /**
   * One partition's rejects in one transaction. When the broker refuses one as too large (the
   * topic changed since start-up, so the limit we knew was wrong), the block is sent again with
   * every reject cut to half the size, until it fits.
   */
  private async sendBlock(tp: TopicPartition, through: string, messages: readonly Message[]): Promise<void> {
    for (let limit = this.maxMessageBytes; ; limit = Math.floor(limit / 2)) {
      const fittedMessages = limit === this.maxMessageBytes ? messages : messages.map((m) => fitted(m, limit))
      try {
        await this.send(() => this.transport.sendBlock(tp, through, fittedMessages))
        return
      } catch (err) {
        if (permanentKafkaError(err) !== 'MESSAGE_TOO_LARGE' || limit <= MIN_FITTED_BYTES) throw err
      }
    }
  }

  retainOnly(owned: ReadonlySet<string>): void {
    void this.transport.retainOnly(owned)
    this.messages.retainOnly(owned)
    this.held = 0
    for (const m of this.messages.buckets()) this.held += m.length
  }
}
