import { isUtf8 } from 'node:buffer'
import { tabSeparated } from '../clickhouse/insert-body.ts'
import { type Envelope, hasHeaders, headerListOf, type KafkaRecord } from '../records/record.ts'
import type { Rejection } from '../records/rejection.ts'
import type { RecordSchema } from '../schema/types.ts'
import { LINEAGE_COLUMNS } from './clickhouse/ddl.ts'
import { TSV_NULL, tsvBytesArray, tsvStringArray, tsvText } from './clickhouse/tab-separated.ts'
import { integerPrinter, tsvFieldsFor } from './clickhouse/tsv-values.ts'
import { rowFor, type TypeFeatures } from './clickhouse/types.ts'
import type { RowBuffer } from './row-buffer.ts'
import { jsonLines, type RowEncoder } from './table-sink.ts'

/**
 * Each layer's rows, encoded when a record is added: no row objects kept until the flush.
 *
 * Bronze, quarantine and late rows are TabSeparated: their payload bytes go into the insert as
 * they are (escaped only where a byte needs it) instead of being decoded to a string, JSON-quoted
 * and encoded again, and ClickHouse parses positional fields far more cheaply than JSON objects.
 * A row is written in as few pieces as possible (each is a native call): everything before the
 * payload, the payload, everything after it.
 */
const RAW_RECORD_COLUMNS = [
  ...LINEAGE_COLUMNS,
  '_key',
  '_headers',
  '_value',
  '_value_encoding',
  '_key_encoding',
  '_header_keys',
  '_header_values',
]

/**
 * The lineage columns (LINEAGE_COLUMNS, in that order) as TabSeparated fields. Kafka topic names are
 * limited to [a-zA-Z0-9._-], so they need no escaping.
 */
function tsvLineage(r: KafkaRecord, ingestTime: number): string {
  // A record's bronze and silver rows are written one after the other: the second reuses the text.
  if (r === lastRecord && ingestTime === lastIngestTime) return lastLineage
  // A block's rows share their ingest time: its digits are made once, not per row and table.
  if (ingestTime !== lastIngestTime) {
    lastIngestTime = ingestTime
    lastIngestText = String(ingestTime)
  }
  // Records come a partition's batch at a time: the topic and partition text is the last one's.
  if (r.partition !== lastPartition || r.topic !== lastTopic) {
    lastTopic = r.topic
    lastPartition = r.partition
    lastPrefix = `${r.topic}\t${r.partition}\t`
  }
  lastRecord = r
  lastLineage = `${lastPrefix}${r.offset}\t${kafkaTimestampText(r.timestamp)}\t${lastIngestText}`
  return lastLineage
}

const kafkaTimestampText = integerPrinter()
let lastIngestTime = Number.NaN
let lastIngestText = ''
let lastRecord: KafkaRecord | undefined
let lastLineage = ''
let lastTopic = ''
let lastPartition = -1
let lastPrefix = ''

/** Lineage, key and headers, up to and including the tab before the value. */
function tsvHead(r: KafkaRecord, ingestTime: number, keyEncoding: KeyEncoding): string {
  const k = r.key
  // Text payloads stay readable in ClickHouse; anything else (Avro, garbage) is kept as base64.
  const key =
    k === null ? TSV_NULL : keyEncoding === 'utf8' ? tsvText(k.toString('utf8')) : k.toString('base64')
  let headers = '{}'
  for (const _ in r.headers) {
    headers = tsvText(JSON.stringify(r.headers))
    break
  }
  return `${tsvLineage(r, ingestTime)}\t${key}\t${headers}\t`
}

/** Key encoding, header keys and header values: the columns after the value's encoding. */
function rawTail(r: KafkaRecord, keyEncoding: KeyEncoding): string {
  if (!hasHeaders(r)) return NO_HEADERS_TAIL[keyEncoding]
  const list = headerListOf(r)
  return `\t${keyEncoding}\t${tsvStringArray(list.map((h) => h.key))}\t${tsvBytesArray(list.map((h) => h.value))}`
}

type KeyEncoding = 'null' | 'utf8' | 'base64'

const NO_HEADERS_TAIL: Readonly<Record<KeyEncoding, string>> = {
  null: '\tnull\t[]\t[]',
  utf8: '\tutf8\t[]\t[]',
  base64: '\tbase64\t[]\t[]',
}

/**
 * Whether bytes are text, kept readable: valid UTF-8 not starting with NUL. A leading NUL is the
 * Confluent wire format's magic byte (Avro, Protobuf), never text, and deciding it from one byte
 * spares a native scan per record, the bronze row's largest single cost in the bench profile. Short
 * keys are checked for ASCII in JS first: cheaper than a native call.
 */
function isText(b: Buffer): boolean {
  if (b.length === 0) return true
  if (b[0] === 0) return false
  if (b.length <= 64) {
    let ascii = true
    for (let i = 0; i < b.length; i++)
      if (b[i]! >= 0x80) {
        ascii = false
        break
      }
    if (ascii) return true
  }
  return isUtf8(b)
}

/** The whole raw record, lineage first; `tail` (starting with a tab) follows the raw columns. */
function writeRaw(out: RowBuffer, r: KafkaRecord, ingestTime: number, tail: string): void {
  const v = r.value
  // One scan of the key serves both its text and its encoding column.
  const k = r.key
  const keyEncoding: KeyEncoding = k === null ? 'null' : isText(k) ? 'utf8' : 'base64'
  if (v === null)
    out.text(`${tsvHead(r, ingestTime, keyEncoding)}\ttombstone${rawTail(r, keyEncoding)}${tail}`)
  else if (isText(v)) {
    out.text(tsvHead(r, ingestTime, keyEncoding))
    out.tsvBytes(v)
    out.text(`\tutf8${rawTail(r, keyEncoding)}${tail}`)
  } else
    out.text(
      `${tsvHead(r, ingestTime, keyEncoding)}${v.toString('base64')}\tbase64${rawTail(r, keyEncoding)}${tail}`,
    )
  out.endRow()
}

/** The schema id column, with its tab: a topic's records mostly share one id, whose text is kept. */
function schemaIdTail(r: KafkaRecord): string {
  const v = r.value
  if (v === null || v.length < 5 || v[0] !== 0) return NO_SCHEMA_ID_TAIL
  const id = v.readInt32BE(1)
  if (id !== lastSchemaId) {
    lastSchemaId = id
    lastSchemaIdTail = `\t${id}`
  }
  return lastSchemaIdTail
}

const NO_SCHEMA_ID_TAIL = `\t${TSV_NULL}`
let lastSchemaId = Number.NaN
let lastSchemaIdTail = ''

export const bronzeRows: RowEncoder<KafkaRecord> = {
  format: tabSeparated([...RAW_RECORD_COLUMNS, '_schema_id']),
  write: (out, r, now) => writeRaw(out, r, now, schemaIdTail(r)),
}

/** Quarantine and late tables: the raw record, then why it was turned away. */
export const rejectionRows: RowEncoder<Rejection> = {
  format: tabSeparated([...RAW_RECORD_COLUMNS, 'stage', 'reason', 'rules', 'topology']),
  write: (out, x, now) =>
    writeRaw(
      out,
      x.source,
      now,
      `\t${x.stage}\t${tsvText(`${x.code}: ${x.reason}`)}\t${tsvStringArray(x.rules)}\t${tsvText(x.topology)}`,
    ),
}

/**
 * Silver rows: the record's fields as the schema's writers make them (clickhouse/tsv-values.ts),
 * then the lineage. TabSeparated, like the raw tables: no row object or JSON per record.
 */
export function silverRows<T extends object>(
  schema: RecordSchema,
  features: TypeFeatures,
): RowEncoder<Envelope<T>> {
  const fields = tsvFieldsFor<T>(schema, features)
  return {
    format: tabSeparated([...schema.fields.map((f) => f.name), ...LINEAGE_COLUMNS]),
    write: (out, e, now) => {
      out.add(`${fields(e.value)}${tsvLineage(e.source, now)}`)
    },
  }
}

// The few distinct topics are quoted once, not per change row.
const quotedTopics = new Map<string, string>()

function quotedTopic(topic: string): string {
  let q = quotedTopics.get(topic)
  if (q === undefined) {
    q = JSON.stringify(topic)
    quotedTopics.set(topic, q)
  }
  return q
}

function lineage(r: KafkaRecord, ingestTime: number): string {
  return `"_topic":${quotedTopic(r.topic)},"_partition":${r.partition},"_offset":${r.offset},"_kafka_timestamp":${r.timestamp},"_ingest_time":${ingestTime}`
}

/**
 * A change stream's silver line (JSONEachRow: a delete's row is its key alone, and the other
 * columns take their defaults, which a positional format cannot leave out), then the change's op, version and deleted flag, then lineage.
 */
export function changeLine<T>(
  toRow: (value: T) => Record<string, unknown>,
  keyRow: (value: T) => Record<string, unknown>,
): (e: Envelope<T>, now: number) => string {
  return (e, now) => {
    const c = e.change
    if (c === undefined) throw new TypeError('a change stream record reached silver without its change')
    const body = JSON.stringify(c.deleted ? keyRow(e.value) : toRow(e.value))
    // The version is written as digits: a UInt64 beyond 2^53 must not pass through a JS number.
    const change = `"_op":"${c.op}","_version":${c.version},"_deleted":${c.deleted ? 1 : 0},${lineage(e.source, now)}`
    return body.length > 2 ? `${body.slice(0, -1)},${change}}` : `{${change}}`
  }
}

/**
 * A topology's silver rows: TabSeparated from the schema, or JSONEachRow change rows for a change
 * stream (see changeLine). The engine and `reprocess` both write silver through this.
 */
export function silverEncoder(
  source: {
    readonly format: { readonly schema: RecordSchema }
    readonly changes?: { readonly key: readonly string[] }
  },
  features: TypeFeatures,
): RowEncoder<Envelope<object>> {
  const { schema } = source.format
  const changes = source.changes
  if (!changes) return silverRows<object>(schema, features)
  const keyFields = schema.fields.filter((f) => changes.key.includes(f.name))
  return jsonLines(
    changeLine(rowFor<object>(schema, features), rowFor<object>({ ...schema, fields: keyFields }, features)),
  )
}
