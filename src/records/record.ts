import type { Change } from './change.ts'

/** Headers of a record without any, shared (no prototype: like every headers object, any name is a header). */
export const NO_HEADERS: Readonly<Record<string, never>> = Object.freeze(Object.create(null))

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
  /** Headers as text, for topology code: a repeated name's values joined by ','. */
  readonly headers: Readonly<Record<string, string>>
  /**
   * Headers as received: bytes, repeated names kept, any name (even `__proto__`). kafkajs groups a
   * repeated name's values together in their order, so that grouping is the order kept. Absent on
   * records made by hand (test driver): `headers` is all there is then.
   */
  readonly headerList?: readonly KafkaHeader[]
}

export interface KafkaHeader {
  readonly key: string
  readonly value: Buffer | null
}

/** Whether the record carries any header. */
export function hasHeaders(r: KafkaRecord): boolean {
  if (r.headerList !== undefined) return r.headerList.length > 0
  for (const _ in r.headers) return true
  return false
}

/** The record's headers as received, or made from its text headers when it was made by hand. */
export function headerListOf(r: KafkaRecord): readonly KafkaHeader[] {
  return r.headerList ?? Object.entries(r.headers).map(([key, v]) => ({ key, value: Buffer.from(v) }))
}

/** A decoded record on its way through the pipeline, never separated from its lineage. */
export interface Envelope<T> {
  readonly value: T
  readonly source: KafkaRecord
  /** Event time, epoch milliseconds: the topology's `eventTime` or else the Kafka timestamp. */
  readonly eventTime: number
  readonly schemaId: number | null
  /** Set when the source is a change stream: the row is the change's `after` image (or a deleted key). */
  readonly change?: Change
}
