import { isUtf8 } from 'node:buffer'
import type { Envelope, KafkaRecord } from '../topology/record.ts'
import type { Rejection } from '../topology/rejection.ts'

/**
 * JSONEachRow lines for each layer, built as strings when a record is added so a flush is one
 * join and one HTTP body: no row objects kept, no second serialisation pass.
 */

// Per record, these strings are most of a bronze line's cost: the few distinct topics are quoted
// once, and the common no-headers case is a constant.
const quotedTopics = new Map<string, string>()

function quotedTopic(topic: string): string {
  let q = quotedTopics.get(topic)
  if (q === undefined) {
    q = JSON.stringify(topic)
    quotedTopics.set(topic, q)
  }
  return q
}

function quotedHeaders(headers: Readonly<Record<string, string>>): string {
  for (const _ in headers) return JSON.stringify(JSON.stringify(headers))
  return '"{}"'
}

function lineage(r: KafkaRecord, ingestTime: number): string {
  return `"_topic":${quotedTopic(r.topic)},"_partition":${r.partition},"_offset":${r.offset},"_kafka_timestamp":${r.timestamp},"_ingest_time":${ingestTime}`
}

/** Text payloads stay readable in ClickHouse; anything else (Avro, garbage) is kept as base64. */
function raw(r: KafkaRecord): string {
  const v = r.value ?? Buffer.alloc(0)
  const utf8 = isUtf8(v)
  const key =
    r.key === null
      ? 'null'
      : JSON.stringify(isUtf8(r.key) ? r.key.toString('utf8') : r.key.toString('base64'))
  return `"_key":${key},"_headers":${quotedHeaders(r.headers)},"_value":${JSON.stringify(v.toString(utf8 ? 'utf8' : 'base64'))},"_value_encoding":"${utf8 ? 'utf8' : 'base64'}"`
}

function schemaId(r: KafkaRecord): string {
  const v = r.value
  return v !== null && v.length >= 5 && v[0] === 0 ? String(v.readInt32BE(1)) : 'null'
}

export function bronzeLine(r: KafkaRecord, now: number): string {
  return `{${lineage(r, now)},${raw(r)},"_schema_id":${schemaId(r)}}`
}

export function quarantineLine(x: Rejection, now: number): string {
  return `{${lineage(x.source, now)},${raw(x.source)},"stage":"${x.stage}","reason":${JSON.stringify(`${x.code}: ${x.reason}`)},"rules":${JSON.stringify(x.rules)},"topology":${JSON.stringify(x.topology)}}`
}

/** `toRow` comes from the schema (sinks/clickhouse/types.ts `rowFor`), decided once per schema. */
export function silverLine<T>(
  toRow: (value: T) => Record<string, unknown>,
): (e: Envelope<T>, now: number) => string {
  return (e, now) => {
    const body = JSON.stringify(toRow(e.value))
    return body.length > 2 ? `${body.slice(0, -1)},${lineage(e.source, now)}}` : `{${lineage(e.source, now)}}`
  }
}
