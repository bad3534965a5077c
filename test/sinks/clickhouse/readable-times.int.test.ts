// Integration: the ClickHouse 18.16 server of the stack, where timestamps are Int64 epoch milliseconds.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { ClickHouse } from '../../../src/clickhouse/client.ts'
import type { Features } from '../../../src/clickhouse/features.ts'
import { defineSchema } from '../../../src/schema/types.ts'
import {
  bronzeTable,
  createTableSql,
  silverTable,
  type TableSpec,
} from '../../../src/sinks/clickhouse/ddl.ts'
import { ensureTable } from '../../../src/sinks/clickhouse/ensure-table.ts'
import { goldLine, goldPartialsTable, goldViewName, goldViewSql } from '../../../src/sinks/clickhouse/gold.ts'
import { count as countOf } from '../../../src/windows/aggregations.ts'
import type { GoldDeclaration } from '../../../src/windows/gold.ts'
import { tumbling } from '../../../src/windows/window-spec.ts'
import { dropTables, ENGINES, uniqueSuffix } from '../../clickhouse/engines.ts'

const T = 1_796_011_380_123 // 2026-11-30 04:03:00.123 UTC
const schema = defineSchema({
  type: 'record',
  name: 'Reading',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'event_time', type: { type: 'long', logicalType: 'timestamp-millis' } },
    { name: 'seen_at', type: ['null', { type: 'long', logicalType: 'timestamp-millis' }], default: null },
  ],
})

describe('times on ClickHouse without DateTime64 read as dates beside the exact milliseconds', () => {
  let ch: ClickHouse
  let f: Features
  const run = uniqueSuffix()
  const created = new Set<string>()

  before(async () => {
    ch = await ENGINES[0]!.open()
    f = await ch.features()
    assert.equal(f.dateTime64, false, 'the stack runs ClickHouse 18.16, which has no DateTime64')
  })
  after(async () => {
    await dropTables(ch, created)
    await ch.close()
  })

  it('a table made before the readable columns existed gains them; the stored ms are unchanged', async () => {
    const spec = bronzeTable(`times_${run}`, f)
    created.add(spec.name)
    // The table as an earlier version made it: only the stored columns.
    const stored: TableSpec = { ...spec, columns: spec.columns.filter((c) => !c.name.endsWith('_utc')) }
    await ch.command(createTableSql(stored, f))
    await ch.command(
      `INSERT INTO ${spec.name} (_topic, _partition, _offset, _kafka_timestamp, _ingest_time, _headers, _value, _value_encoding) ` +
        `VALUES ('t', 0, 1, ${T}, ${T + 1}, '{}', 'x', 'utf8')`,
    )

    const { added } = await ensureTable(ch, spec)
    assert.deepEqual([...added].sort(), ['_ingest_time_utc', '_kafka_timestamp_utc'])
    assert.deepEqual((await ensureTable(ch, spec)).added, [], 'again: nothing to add')
    const [row] = await ch.query<Record<string, unknown>>(
      `SELECT _kafka_timestamp, toString(_kafka_timestamp_utc) AS kt, toString(_ingest_time_utc) AS it FROM ${spec.name}`,
    )
    assert.deepEqual(row, {
      _kafka_timestamp: String(T),
      kt: '2026-11-30 04:03:00',
      it: '2026-11-30 04:03:00',
    })
  })

  it('silver has a readable column beside each timestamp field, nullable ones too', async () => {
    const spec = silverTable(`times_${run}`, schema, f)
    created.add(spec.name)
    await ensureTable(ch, spec)
    await ch.command(
      `INSERT INTO ${spec.name} (id, event_time, seen_at, _topic, _partition, _offset, _kafka_timestamp, _ingest_time) ` +
        `VALUES ('a', ${T}, NULL, 't', 0, 1, ${T}, ${T})`,
    )
    const [row] = await ch.query<Record<string, unknown>>(
      `SELECT event_time, toString(event_time_utc) AS e, seen_at_utc FROM ${spec.name}`,
    )
    assert.deepEqual(row, { event_time: String(T), e: '2026-11-30 04:03:00', seen_at_utc: null })
  })

  it('SELECT * on a gold view shows each window as dates, beside its exact ms', async () => {
    const gold: GoldDeclaration<{ shop: string }> = {
      name: `times_${run}`,
      window: tumbling({ size: 60_000 }),
      groupBy: { shop: (s) => s.shop },
      aggregate: { n: countOf() },
    }
    const table = goldPartialsTable(gold, f)
    created.add(table.name)
    await ensureTable(ch, table)
    await ch.command(goldViewSql(gold, f))
    created.add(goldViewName(gold))
    const start = T - 123 - 3 * 60_000 // 04:00:00.000
    await ch.insertRaw(
      table.name,
      goldLine(gold)({
        topic: 't',
        partition: 0,
        key: JSON.stringify(['a']),
        start,
        end: start + 60_000,
        version: 1,
        accs: { n: 1 },
      }),
    )
    const [row] = await ch.query<Record<string, unknown>>(`SELECT * FROM ${goldViewName(gold)}`)
    assert.equal(row?.window_start, String(start))
    assert.equal(row?.window_start_utc, '2026-11-30 04:00:00')
    assert.equal(row?.window_end_utc, '2026-11-30 04:01:00')
  })
})
