/**
 * Which records a reprocess reads, and the records themselves as the pipeline takes them. Read back
 * from the tables (quarantine and bronze keep every byte of the record), per input partition in
 * offset order, in chunks by fixed offset ranges (`[k * size, (k + 1) * size)`): a chunk's records
 * do not depend on which records before it stayed open, so a re-run after a crash re-forms the same
 * chunks and therefore the same blocks (see reprocess.ts).
 */
import type { ClickHouse } from '../clickhouse/client.ts'
import type { Features } from '../clickhouse/features.ts'
import { quoteString, quoteTable } from '../clickhouse/identifiers.ts'
import type { TopicPartition } from '../records/partition.ts'
import type { KafkaHeader, KafkaRecord } from '../records/record.ts'
import type { AnyTopology } from '../topology/define.ts'
import { tableNames } from '../topology/table-names.ts'

/** Open quarantine (optionally one rule's or reason code's), or bronze since a time. */
export type ReprocessFrom =
  | { readonly kind: 'quarantine'; readonly rule?: string }
  | { readonly kind: 'bronze'; readonly since: number }

export interface Candidate {
  readonly record: KafkaRecord
  /** When the engine first ingested it: the ingest time its silver row gets (a re-run writes the same). */
  readonly ingestTime: number
  /** Already in silver: a reprocess that landed it was cut short before recording the resolution. */
  readonly inSilver: boolean
  /** In open quarantine: a resolution is recorded once it lands; a reject stays open as it is. */
  readonly quarantined: boolean
}

interface Row {
  _topic: string
  _partition: number
  offset: string
  ts: string
  ingest: string
  _key: string | null
  _key_encoding: string
  _value: string
  _value_encoding: string
  _header_keys: string[]
  header_hex: string[]
  in_silver: number
  quarantined: number
}

const LINEAGE = '(_topic, _partition, _offset)'

export class Candidates {
  readonly #ch: ClickHouse
  readonly #topology: AnyTopology
  readonly #from: ReprocessFrom
  readonly #ms: (column: string) => string

  constructor(ch: ClickHouse, topology: AnyTopology, from: ReprocessFrom, features: Features) {
    this.#ch = ch
    this.#topology = topology
    this.#from = from
    this.#ms = (c) => (features.dateTime64 ? `toUnixTimestamp64Milli(${c})` : c)
  }

  /** Input partitions holding candidates, in order. */
  async partitions(): Promise<TopicPartition[]> {
    const rows = await this.#ch.query<{ _topic: string; _partition: number }>(
      `SELECT DISTINCT _topic, _partition FROM ${this.#table()} WHERE ${this.#filter()} ORDER BY _topic, _partition`,
    )
    return rows.map((r) => ({ topic: r._topic, partition: Number(r._partition) }))
  }

  /**
   * The candidates of a partition in the first offset range of `size` offsets holding one after
   * offset `after`, in offset order; `after` for the next call is the range's last offset.
   */
  async chunk(
    tp: TopicPartition,
    after: bigint,
    size: number,
  ): Promise<{ candidates: Candidate[]; last: bigint } | undefined> {
    const [first] = await this.#rows(tp, `_offset > ${after}`, 1)
    if (first === undefined) return undefined
    const from = (BigInt(first.offset) / BigInt(size)) * BigInt(size)
    const last = from + BigInt(size) - 1n
    const rows = await this.#rows(tp, `_offset BETWEEN ${from} AND ${last}`)
    const candidates = rows.map((r) => ({
      record: toRecord(r),
      ingestTime: Number(r.ingest),
      inSilver: Number(r.in_silver) === 1,
      quarantined: Number(r.quarantined) === 1,
    }))
    return { candidates, last }
  }

  async #rows(tp: TopicPartition, range: string, limit?: number): Promise<Row[]> {
    const t = this.#topology.tables
    const here = `_topic = ${quoteString(tp.topic)} AND _partition = ${tp.partition}`
    const inSilver = t.silver
      ? `${LINEAGE} GLOBAL IN (SELECT _topic, _partition, _offset FROM ${quoteTable(t.silver)} WHERE ${here})`
      : '0'
    const quarantined =
      this.#from.kind === 'quarantine'
        ? '1'
        : `${LINEAGE} GLOBAL IN (SELECT _topic, _partition, _offset FROM ${quoteTable(tableNames.quarantineOpen(this.#topology.entity))} WHERE ${here})`
    // From bronze: records silver has are done, unless an open quarantine row still names them.
    const bronzeOnly = this.#from.kind === 'bronze' ? ' AND (NOT in_silver OR quarantined)' : ''
    return this.#ch.query<Row>(
      [
        'SELECT _topic, _partition, toString(_offset) AS offset,',
        `${this.#ms('_kafka_timestamp')} AS ts, ${this.#ms('_ingest_time')} AS ingest,`,
        '_key, _key_encoding, _value, _value_encoding, _header_keys,',
        'arrayMap(v -> hex(v), _header_values) AS header_hex,',
        `${inSilver} AS in_silver, ${quarantined} AS quarantined`,
        `FROM ${this.#table()}`,
        `WHERE ${here} AND ${range} AND ${this.#filter()}${bronzeOnly}`,
        'ORDER BY _offset LIMIT 1 BY _offset',
        ...(limit !== undefined ? [`LIMIT ${limit}`] : []),
      ].join('\n'),
    )
  }

  #table(): string {
    const e = this.#topology.entity
    return quoteTable(this.#from.kind === 'quarantine' ? tableNames.quarantineOpen(e) : tableNames.bronze(e))
  }

  #filter(): string {
    const from = this.#from
    if (from.kind === 'bronze') {
      const resolved = quoteTable(tableNames.quarantineResolved(this.#topology.entity))
      return `${this.#ms('_kafka_timestamp')} >= ${Math.trunc(from.since)} AND ${LINEAGE} GLOBAL NOT IN (SELECT _topic, _partition, _offset FROM ${resolved})`
    }
    if (from.rule === undefined) return '1'
    // A rule's name (`amount.range`) or a reason code (`RULES_FAILED`, `JSON_PARSE_FAILED`).
    const r = quoteString(from.rule)
    return `(has(rules, ${r}) OR startsWith(reason, concat(${r}, ':')))`
  }
}

/** The record as the source handed it over, from the raw columns bronze and quarantine share. */
function toRecord(r: Row): KafkaRecord {
  const headerList: KafkaHeader[] = r._header_keys.map((key, i) => ({
    key,
    value: Buffer.from(r.header_hex[i] ?? '', 'hex'),
  }))
  const headers: Record<string, string> = Object.create(null)
  for (const h of headerList)
    headers[h.key] = h.key in headers ? `${headers[h.key]},${h.value}` : String(h.value)
  return {
    topic: r._topic,
    partition: Number(r._partition),
    offset: r.offset,
    timestamp: Number(r.ts),
    key: bytes(r._key, r._key_encoding),
    value: r._value_encoding === 'tombstone' ? null : bytes(r._value, r._value_encoding),
    headers,
    ...(headerList.length > 0 ? { headerList } : {}),
  }
}

function bytes(text: string | null, encoding: string): Buffer | null {
  if (text === null || encoding === 'null') return null
  return Buffer.from(text, encoding === 'base64' ? 'base64' : 'utf8')
}
