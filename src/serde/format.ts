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
}

export interface Decoded<T> {
  readonly value: T
  readonly schemaId: number | null
}

/** A bound format. `decode` is synchronous so the pipeline stays synchronous; `prepare` does the I/O. */
export interface ValueSerde<T> {
  /** Fetches whatever `decode` will need for these payloads (writer schemas); throws only retriable errors. */
  prepare(payloads: readonly (Buffer | null)[]): Promise<void>
  /** Throws DecodeError for bytes that cannot become a `T`. */
  decode(payload: Buffer | null): Decoded<T>
  encode(value: T, topic: string): Promise<Buffer>
}

export type SerdeFactory = <S extends RecordSchema>(
  format: ValueFormat<S>,
  registry: SchemaRegistry,
) => ValueSerde<Infer<S>>

export function avro<const S extends RecordSchema>(
  schema: S,
  text?: Pick<TextPolicy, 'invalidUtf8'>,
): ValueFormat<S> {
  return { kind: 'avro', schema, subject: (topic) => `${topic}-value`, ...(text ? { text } : {}) }
}

export function json<const S extends RecordSchema>(schema: S, text?: TextPolicy): ValueFormat<S> {
  return { kind: 'json', schema, subject: (topic) => `${topic}-value`, ...(text ? { text } : {}) }
}
