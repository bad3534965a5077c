// Integration: ClickHouse server (TRIBUTARY_CLICKHOUSE_URL, from `npm run stack:up`) and chDB in-process.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { ClickHouse } from '../../src/clickhouse/client.ts'
import type { KafkaRecord } from '../../src/records/record.ts'
import type { Rejection } from '../../src/records/rejection.ts'
import { bronzeTable, createTableSql, quarantineTable } from '../../src/sinks/clickhouse/ddl.ts'
import { ensureTable } from '../../src/sinks/clickhouse/ensure-table.ts'
import { readTimestamp } from '../../src/sinks/clickhouse/types.ts'
import { RowBuffer } from '../../src/sinks/row-buffer.ts'
import { bronzeRows, rejectionRows } from '../../src/sinks/rows.ts'
import type { RowEncoder } from '../../src/sinks/table-sink.ts'
import { dropTables, ENGINES, uniqueSuffix } from '../clickhouse/engines.ts'

const NOW = 1_700_000_001_234

function record(offset: number, over: Partial<KafkaRecord>): KafkaRecord {
  return {
    topic: 'orders.v1',
    partition: 3,
    offset: String(offset),
    timestamp: 1_700_000_000_000 + offset,
    key: null,
    value: Buffer.from('{}'),
    headers: {},
    ...over,
  }
}

// Every byte TabSeparated must escape, in text, in keys and in headers; and payloads that are not
// UTF-8, which bronze keeps as base64.
const avroLike = Buffer.from([0, 0, 0, 0, 7, 0x0a, 0x09, 0x5c, 0xff, 0xfe])
const RECORDS: KafkaRecord[] = [
  record(0, { value: Buffer.from('{"note":"tab\\there","path":"C:\\\\x"}') }),
  record(1, { value: Buffer.from('line\none\ttab\rcr\\back\u0000nul é ✓'), key: Buffer.from('k\tey') }),
  record(2, { value: avroLike, key: Buffer.from([0xff, 0x00]), headers: { 'trace\\id': 'a"b\tc' } }),
  record(3, { value: null }),
  // Carriage return and NUL alone need no escape: this payload is copied as it is.
  record(4, { value: Buffer.from('cr\rnul\u0000end'), key: Buffer.from('plain') }),
  // Valid UTF-8, but led by NUL (the Confluent wire format's magic byte): binary, so base64.
  record(5, { value: Buffer.from('\u0000\u0000\u0000\u0000\u0001AB'), key: Buffer.from('\u0000k') }),
]

function encode<T>(encoder: RowEncoder<T>, items: readonly T[]): Buffer[] {
  const out = new RowBuffer()
  for (const item of items) encoder.write(out, item, NOW)
  assert.equal(out.rows, items.length)
  return out.take()
}

/** What the raw-record columns must hold for `r`, whatever the engine. */
function expectedRaw(r: KafkaRecord) {
  const text = (b: Buffer) =>
    b[0] !== 0 && Buffer.from(b.toString('utf8')).equals(b) ? b.toString('utf8') : null
  const value = r.value ?? Buffer.alloc(0)
  return {
    _topic: r.topic,
    _partition: r.partition,
    _offset: r.offset,
    _kafka_timestamp: r.timestamp,
    _ingest_time: NOW,
    _key: r.key === null ? null : (text(r.key) ?? r.key.toString('base64')),
    _headers: JSON.stringify(r.headers),
    _value: text(value) ?? value.toString('base64'),
    // A tombstone (null value) is told apart from an empty value.
    _value_encoding: r.value === null ? 'tombstone' : text(value) === null ? 'base64' : 'utf8',
    _key_encoding: r.key === null ? 'null' : text(r.key) === null ? 'base64' : 'utf8',
  }
}

const RAW_SELECT =
  '_topic, _partition, toString(_offset) AS _offset, _kafka_timestamp, _ingest_time, _key, _headers, _value, _value_encoding, _key_encoding'

function normalise(row: Record<string, unknown>) {
  return {
    ...row,
    _kafka_timestamp: readTimestamp(row._kafka_timestamp),
    _ingest_time: readTimestamp(row._ingest_time),
  }
}

for (const engine of ENGINES) {
  describe(`raw-record rows (TabSeparated) on ${engine.label}`, () => {
    let ch: ClickHouse
    const run = uniqueSuffix()
    const created: string[] = []

    before(async () => {
      ch = await engine.open()
    })
    after(async () => {
      await dropTables(ch, created)
      await ch.close()
    })

    it('bronze keeps every payload byte and its Kafka lineage', async () => {
      const spec = bronzeTable(`rows_${run}`, await ch.features())
      await ensureTable(ch, spec)
      created.push(spec.name)
      await ch.insertRaw(spec.name, encode(bronzeRows, RECORDS), bronzeRows.format)
      const rows = await ch.query<Record<string, unknown>>(
        `SELECT ${RAW_SELECT}, _schema_id FROM ${spec.name} ORDER BY _offset`,
      )
      assert.deepEqual(
        rows.map(normalise),
        RECORDS.map((r) => ({
          ...expectedRaw(r),
          _schema_id: r === RECORDS[2] ? 7 : r === RECORDS[5] ? 1 : null,
        })),
      )
    })

    it('a bronze table made before the lossless columns gets them from ensureTable and takes the new rows', async () => {
      const f = await ch.features()
      const spec = bronzeTable(`old_${run}`, f)
      const fresh = ['_key_encoding', '_header_keys', '_header_values']
      await ch.command(
        createTableSql({ ...spec, columns: spec.columns.filter((c) => !fresh.includes(c.name)) }, f),
      )
      created.push(spec.name)
      const result = await ensureTable(ch, spec)
      assert.deepEqual(result.added, fresh)
      const withHeaders = record(9, {
        headerList: [
          { key: 'b', value: Buffer.from([0x00, 0xff, 0x27, 0x5c]) },
          { key: 'b', value: Buffer.from('é') },
        ],
      })
      await ch.insertRaw(spec.name, encode(bronzeRows, [withHeaders]), bronzeRows.format)
      const [row] = await ch.query<{ k: string[]; v: string[] }>(
        `SELECT _header_keys AS k, arrayMap(x -> hex(x), _header_values) AS v FROM ${spec.name}`,
      )
      assert.deepEqual(row, { k: ['b', 'b'], v: ['00FF275C', 'C3A9'] })
    })

    it('quarantine keeps the record and why it was refused, rules with quotes included', async () => {
      const spec = quarantineTable(`rows_${run}`, await ch.features())
      await ensureTable(ch, spec)
      created.push(spec.name)
      const rejections: Rejection[] = RECORDS.map((source, i) => ({
        source,
        topology: 'orders-topology',
        stage: 'validate',
        code: 'RULES_FAILED',
        reason: `field 'amount'\tis "bad" \\ ${i}`,
        rules: i === 0 ? [] : ['amount.range', "it's\\odd", 'tab\there'],
      }))
      await ch.insertRaw(spec.name, encode(rejectionRows, rejections), rejectionRows.format)
      const rows = await ch.query<Record<string, unknown>>(
        `SELECT ${RAW_SELECT}, stage, reason, rules, topology FROM ${spec.name} ORDER BY _offset`,
      )
      assert.deepEqual(
        rows.map(normalise),
        rejections.map((x) => ({
          ...expectedRaw(x.source),
          stage: x.stage,
          reason: `${x.code}: ${x.reason}`,
          rules: x.rules,
          topology: x.topology,
        })),
      )
    })
  })
}
