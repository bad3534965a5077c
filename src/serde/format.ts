import { ConfigError } from '../errors/tributary-error.ts'
import type { Infer, RecordSchema } from '../schema/types.ts'
import type { SchemaRegistry } from './registry.ts'
import type { TextPolicy } from './strict-text.ts'

/**
 * How a topic's values are written, declared in a topology with no I/O: `avro(schema)` or
 * `json(schema)`. The runtime binds it to a registry to get a `ValueSerde`.
 */
export interface ValueFormat<S extends RecordSchema = RecordSchema> {
  readonly kind: 'avro' | 'json'
  readonly schema: S
  /** Registry subject for a topic (Confluent's TopicNameStrategy). */
  subject(topic: string): string
  /** What to do with text that is not UTF-8 or (JSON) repeats a key; strict by default. */
  readonly text?: TextPolicy
  /** Avro: which schema ids a record may carry (see `AvroOptions.lookup`); `'subject'` by default. */
  readonly lookup?: SchemaLookup
}

/**
 * `'subject'`: only versions of the topic's subject, so unknown ids cost one registry round trip
 * per batch. `'any'`: any id the registry knows, one lookup per distinct unknown id; for producers
 * that register under another subject name strategy (RecordNameStrategy, TopicRecordNameStrategy).
 */
export type SchemaLookup = 'subject' | 'any'
const LOOKUPS: readonly SchemaLookup[] = ['subject', 'any']

export interface AvroOptions extends Pick<TextPolicy, 'invalidUtf8'> {
  readonly lookup?: SchemaLookup
}

export interface Decoded<T> {
  readonly value: T
  readonly schemaId: number | null
}

/** A bound format. `decode` is synchronous so the pipeline stays synchronous; `prepare` does the I/O. */
export interface ValueSerde<T> {
  /** Fetches whatever `decode` will need for these payloads of `topic` (writer schemas); throws only retriable errors. */
  prepare(payloads: readonly (Buffer | null)[], topic: string): Promise<void>
  /** Throws DecodeError for bytes (read from `topic`) that cannot become a `T`. */
  decode(payload: Buffer | null, topic: string): Decoded<T>
  encode(value: T, topic: string): Promise<Buffer>
}

export type SerdeFactory = <S extends RecordSchema>(
  format: ValueFormat<S>,
  registry: SchemaRegistry,
) => ValueSerde<Infer<S>>

export function avro<const S extends RecordSchema>(schema: S, options: AvroOptions = {}): ValueFormat<S> {
  const { lookup, ...text } = options
  if (lookup !== undefined && !LOOKUPS.includes(lookup))
    throw new ConfigError(
      `avro(${schema.name}).lookup`,
      `${JSON.stringify(lookup)} is not a schema lookup`,
      "use 'subject' (ids registered under <topic>-value, the default) or 'any' (any id the registry knows, for producers using another subject name strategy)",
    )
  return {
    kind: 'avro',
    schema,
    subject: (topic) => `${topic}-value`,
    ...(Object.keys(text).length > 0 ? { text } : {}),
    ...(lookup ? { lookup } : {}),
  }
}

export function json<const S extends RecordSchema>(schema: S, text?: TextPolicy): ValueFormat<S> {
  return { kind: 'json', schema, subject: (topic) => `${topic}-value`, ...(text ? { text } : {}) }
}
