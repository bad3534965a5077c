import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import type { Kafka, Message } from 'kafkajs'
import { ChangeGenerator, changeEvent } from '../../cdc/generate.ts'
import type { RecordSchema } from '../../schema/types.ts'
import { bindSource } from '../../serde/bind.ts'
import { sendChunked } from '../../sinks/kafka/send-chunked.ts'
import { createKafka } from '../../sources/kafka/client.ts'
import { idempotentProducer } from '../../sources/kafka/producer.ts'
import { DEFAULT_MAX_PAYLOAD_BYTES, type Topology } from '../../topology/define.ts'
import type { CliContext, Command } from '../context.ts'
import { loadTopologies } from '../topologies.ts'

/** The classes of bad input `--invalid-ratio` cycles through: each must end in DLQ and quarantine. */
export const INVALID_KINDS = [
  'garbage',
  'empty',
  'unknown-schema',
  'missing-field',
  'wrong-type',
  'rule',
  'oversized',
] as const
export type InvalidKind = (typeof INVALID_KINDS)[number]

/** Which generated index is invalid, and how: every round(1/ratio)-th, cycling through the kinds. */
export function invalidKindAt(i: number, invalidRatio: number): InvalidKind | null {
  if (invalidRatio <= 0) return null
  const every = Math.max(1, Math.round(1 / invalidRatio))
  return i % every === every - 1 ? INVALID_KINDS[Math.floor(i / every) % INVALID_KINDS.length]! : null
}

/** Which generated index is sent twice: every round(1/ratio)-th, offset from the invalid ones. */
export function isDuplicateAt(i: number, duplicateRatio: number): boolean {
  if (duplicateRatio <= 0) return false
  const every = Math.max(1, Math.round(1 / duplicateRatio))
  return i % every === 0
}

export interface ProduceSummary {
  topic: string
  produced: number
  valid: number
  /** Extra copies of valid events (not counted in `valid`). */
  duplicates: number
  /** Change streams: the tombstones after deletes (not counted in `valid`). */
  tombstones: number
  invalid: Record<InvalidKind, number>
}

async function topologyFor(topic: string): Promise<Topology> {
  for (const t of (await loadTopologies()).values()) if (t.definition.source.topics.includes(topic)) return t
  throw new Error(
    `no topology reads topic ${JSON.stringify(topic)}; produce needs one to know the format and schema`,
  )
}

/** Values shaped to fail in one specific way for this topology's format. */
async function invalidMessage(
  kind: InvalidKind,
  i: number,
  t: Topology,
  encode: (v: unknown) => Promise<Buffer>,
  wrap: (row: unknown) => unknown,
): Promise<Buffer | null> {
  const ex = t.definition.examples!
  const valid = ex.valid(i) as Record<string, unknown>
  const changes = t.definition.source.changes !== undefined
  const json = t.definition.source.format.kind === 'json'
  const firstRequired = t.definition.source.format.schema.fields.find((f) => !Array.isArray(f.type))!.name
  switch (kind) {
    case 'garbage':
      return Buffer.from(`\u0001garbage-${i}\u00ff`, 'latin1')
    case 'empty':
      // A change stream's null value is a tombstone, not bad input: send zero bytes instead.
      return changes ? Buffer.alloc(0) : null
    case 'unknown-schema':
      return json
        ? Buffer.from(`[not json ${i}`)
        : Buffer.concat([Buffer.from([0, 0x7f, 0xff, 0xff, 0xf0]), Buffer.from('xx')])
    case 'missing-field': {
      if (!json) return (await encode(wrap(valid))).subarray(0, 8) // truncated Avro body
      const { [firstRequired]: _, ...rest } = valid
      return Buffer.from(JSON.stringify(wrap(rest)))
    }
    case 'wrong-type':
      return json
        ? Buffer.from(JSON.stringify(wrap({ ...valid, [firstRequired]: { not: 'a string' } })))
        : Buffer.concat([
            (await encode(wrap(valid))).subarray(0, 5),
            Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]),
          ])
    case 'rule':
      return encode(wrap(ex.invalid ? ex.invalid(i) : { ...valid, [firstRequired]: null }))
    case 'oversized':
      return Buffer.alloc((t.definition.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES) + 1, 0x20)
  }
}

export async function produceGenerated<S extends RecordSchema>(
  ctx: CliContext,
  topology: Topology<S>,
  topic: string,
  count: number,
  invalidRatio: number,
  opts: { from?: number; duplicateRatio?: number } = {},
): Promise<ProduceSummary> {
  const t = topology as unknown as Topology
  if (!t.definition.examples)
    throw new Error(`topology ${t.name} declares no examples; add examples.valid to generate data`)
  const serde = bindSource(t.definition.source, ctx.registry())
  const encode = (v: unknown) => serde.encode(v as never, topic)
  const stream = t.definition.source.changes
  const changes = stream ? new ChangeGenerator(stream, t.entity) : undefined
  const wrap = (row: unknown, i: number) => (changes ? changeEvent(t.entity, 'u', null, row, i) : row)
  const summary: ProduceSummary = {
    topic,
    produced: 0,
    valid: 0,
    duplicates: 0,
    tombstones: 0,
    invalid: Object.fromEntries(INVALID_KINDS.map((k) => [k, 0])) as Record<InvalidKind, number>,
  }
  const from = opts.from ?? 0
  const messages: Message[] = []
  for (let i = from; i < from + count; i++) {
    let value: Buffer | null
    let key = `k-${i}`
    const kind = invalidKindAt(i, invalidRatio)
    if (kind !== null) {
      value = await invalidMessage(kind, i, t, encode, (row) => wrap(row, i))
      summary.invalid[kind]++
    } else if (changes) {
      const events = changes.next(i, t.definition.examples.valid(i))
      for (const e of events.slice(0, -1)) {
        messages.push({ key: e.key, value: e.value === null ? null : await encode(e.value) })
        summary.valid++
      }
      const last = events.at(-1)!
      key = last.key
      value = last.value === null ? null : await encode(last.value)
      if (last.value === null) summary.tombstones++
      else summary.valid++
    } else {
      const record = t.definition.examples.valid(i)
      value = await encode(record)
      key = t.definition.examples.key?.(record) ?? key
      summary.valid++
    }
    messages.push({ key, value })
    if (kind === null && value !== null && isDuplicateAt(i, opts.duplicateRatio ?? 0)) {
      // The same event again (same key, so the same partition): what a retrying producer sends.
      messages.push({ key, value })
      summary.duplicates++
    }
  }
  await sendAll(ctx, topic, messages)
  summary.produced = messages.length
  return summary
}

export async function sendAll(
  ctx: CliContext,
  topic: string,
  messages: Message[],
  kafka: Kafka = createKafka(ctx.config, ctx.logger('warn')),
): Promise<void> {
  const producer = idempotentProducer(kafka)
  await producer.connect()
  try {
    await sendChunked(producer, topic, messages)
  } finally {
    await producer.disconnect()
  }
}

export const produce: Command = {
  name: 'produce',
  summary: 'produce events from an NDJSON file, or generated examples (some invalid), to a topic',
  usage:
    'tributary produce <topic> (--file events.ndjson | --generate N [--invalid-ratio r] [--duplicate-ratio r])',
  async run(args, ctx) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        file: { type: 'string' },
        generate: { type: 'string' },
        'invalid-ratio': { type: 'string', default: '0' },
        'duplicate-ratio': { type: 'string', default: '0' },
      },
    })
    const topic = positionals[0]
    if (!topic || (values.file === undefined) === (values.generate === undefined))
      throw new Error(`usage: ${this.usage}`)
    if (values.generate !== undefined) {
      const n = Number(values.generate)
      const ratio = Number(values['invalid-ratio'])
      if (!Number.isInteger(n) || n < 1)
        throw new Error('--generate takes a whole number of events, e.g. --generate 1000')
      if (!(ratio >= 0 && ratio <= 1))
        throw new Error('--invalid-ratio takes a fraction between 0 and 1, e.g. 0.05')
      const duplicateRatio = Number(values['duplicate-ratio'])
      if (!(duplicateRatio >= 0 && duplicateRatio <= 1))
        throw new Error('--duplicate-ratio takes a fraction between 0 and 1')
      console.log(
        JSON.stringify(
          await produceGenerated(ctx, await topologyFor(topic), topic, n, ratio, { duplicateRatio }),
        ),
      )
      return 0
    }
    const t = await topologyFor(topic)
    const serde = bindSource(t.definition.source, ctx.registry())
    const lines = readFileSync(values.file!, 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
    const messages: Message[] = []
    for (const [n, line] of lines.entries()) {
      let value: unknown
      try {
        value = JSON.parse(line)
      } catch (err) {
        throw new Error(`${values.file}:${n + 1}: not JSON (${(err as Error).message})`)
      }
      messages.push({ value: await serde.encode(value as never, topic) })
    }
    await sendAll(ctx, topic, messages)
    console.log(JSON.stringify({ topic, produced: messages.length }))
    return 0
  },
}
