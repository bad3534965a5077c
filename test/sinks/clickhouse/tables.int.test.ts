// Integration: ClickHouse server (TRIBUTARY_CLICKHOUSE_URL, from `npm run stack:up`) and chDB in-process.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { ClickHouse } from '../../../src/clickhouse/client.ts'
import { ClickHouseError } from '../../../src/clickhouse/errors.ts'
import type { Features } from '../../../src/clickhouse/features.ts'
import { JSON_EACH_ROW, serializeRows } from '../../../src/clickhouse/insert-body.ts'
import { defineSchema } from '../../../src/schema/types.ts'
import {
  bronzeTable,
  dedupOnInsert,
  goldTable,
  processingLogTable,
  quarantineTable,
  silverTable,
  type TableSpec,
} from '../../../src/sinks/clickhouse/ddl.ts'
import { ensureTable, sameType } from '../../../src/sinks/clickhouse/ensure-table.ts'
import { goldLine, goldPartialsTable, goldViewName, goldViewSql } from '../../../src/sinks/clickhouse/gold.ts'
import { readTimestamp } from '../../../src/sinks/clickhouse/types.ts'
import { avg, count as countOf, distinctCount, max, min, sum } from '../../../src/windows/aggregations.ts'
import type { GoldDeclaration } from '../../../src/windows/gold.ts'
import { tumbling } from '../../../src/windows/window-spec.ts'
import { WindowAggregator } from '../../../src/windows/window-store.ts'
import { dropTables, ENGINES, uniqueSuffix } from '../../clickhouse/engines.ts'

const v1 = defineSchema({
  type: 'record',
  name: 'Thing',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'qty', type: 'int' },
  ],
})
const v2 = defineSchema({
  type: 'record',
  name: 'Thing',
  fields: [...v1.fields, { name: 'note', type: ['null', 'string'], default: null }],
})
const v3Incompatible = defineSchema({
  type: 'record',
  name: 'Thing',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'qty', type: 'string' },
  ],
})

function bronzeRow(offset: number, value: string) {
  return {
    _topic: 'orders',
    _partition: 0,
    _offset: offset,
    _kafka_timestamp: 1_700_000_000_000 + offset,
    _ingest_time: 1_700_000_001_000,
    _key: null,
    _headers: '{}',
    _value: value,
    _value_encoding: 'utf8',
    _key_encoding: 'null',
    _header_keys: [],
    _header_values: [],
    _schema_id: null,
  }
}

for (const engine of ENGINES) {
  describe(`tables on ${engine.label}`, () => {
    let ch: ClickHouse
    let f: Features
    const run = uniqueSuffix()
    const created = new Set<string>()
    const ensure = async (spec: TableSpec) => {
      created.add(spec.name)
      return ensureTable(ch, spec)
    }
    const count = async (sql: string) => Number((await ch.query<{ n: string }>(sql))[0]?.n)

    before(async () => {
      ch = await engine.open()
      f = await ch.features()
    })
    after(async () => {
      await dropTables(ch, created)
      await ch.close()
    })

    it('creates every builder table with exactly the spec columns, and again is a no-op', async () => {
      const specs = [
        bronzeTable(`b_${run}`, f),
        silverTable(`s_${run}`, v2, f),
        quarantineTable(`q_${run}`, f),
        goldTable(`g_${run}`, [{ name: 'site', type: 'String' }], [{ name: 'n', type: 'UInt64' }], f),
        { ...processingLogTable(f), name: `log_${run}` },
      ]
      for (const spec of specs) {
        assert.deepEqual(await ensure(spec), { created: true, added: [] })
        const cols = await ch.query<{ name: string; type: string }>(
          `SELECT name, type FROM system.columns WHERE database = currentDatabase() AND table = '${spec.name}'`,
        )
        assert.deepEqual(
          cols.map((c) => c.name),
          spec.columns.map((c) => c.name),
        )
        for (const [i, c] of cols.entries())
          assert.ok(sameType(c.type, spec.columns[i]!.type), `${c.name}: ${c.type}`)
        assert.deepEqual(await ensure(spec), { created: false, added: [] })
      }
    })

    it('adds a new optional field as a column; old rows read it as null', async () => {
      await ensure(silverTable(`evo_${run}`, v1, f))
      const lineage = { _topic: 't', _partition: 0, _kafka_timestamp: 0, _ingest_time: 0 }
      await ch.insert(`silver_evo_${run}`, [{ id: 'a', qty: 1, ...lineage, _offset: 0 }])
      assert.deepEqual(await ensure(silverTable(`evo_${run}`, v2, f)), { created: false, added: ['note'] })
      await ch.insert(`silver_evo_${run}`, [{ id: 'b', qty: 2, note: 'new', ...lineage, _offset: 1 }])
      const rows = await ch.query(`SELECT id, note FROM silver_evo_${run} ORDER BY id`)
      assert.deepEqual(rows, [
        { id: 'a', note: null },
        { id: 'b', note: 'new' },
      ])
    })

    it('refuses an incompatible type change with a non-retriable error naming table, column, types and fix', async () => {
      await ensure(silverTable(`conf_${run}`, v1, f))
      const err = await ensure(silverTable(`conf_${run}`, v3Incompatible, f)).catch((e: unknown) => e)
      assert.ok(err instanceof ClickHouseError)
      assert.equal(err.retriable, false)
      assert.equal(err.code, 'CLICKHOUSE_SCHEMA_CONFLICT')
      assert.match(
        err.message,
        new RegExp(`silver_conf_${run} column qty is Int32 but the schema now needs String`),
      )
      assert.match(err.message, /Fix: .*MODIFY COLUMN/)
    })

    it('FINAL leaves one row per (topic, partition, offset) after an overlapping re-delivery', async () => {
      const spec = bronzeTable(`final_${run}`, f)
      await ensure(spec)
      // Merges stopped so the row counts below show what each insert did, not background work.
      await ch.command(`SYSTEM STOP MERGES ${spec.name}`)
      await ch.insert(
        spec.name,
        [0, 1, 2].map((o) => bronzeRow(o, `v${o}`)),
      )
      await ch.insert(
        spec.name,
        [1, 2, 3, 4].map((o) => bronzeRow(o, `v${o}`)),
      )
      assert.equal(await count(`SELECT count() AS n FROM ${spec.name}`), 7)
      assert.equal(await count(`SELECT count() AS n FROM ${spec.name} FINAL`), 5)
      const offsets = await ch.query<{ o: string }>(`SELECT _offset AS o FROM ${spec.name} FINAL ORDER BY o`)
      assert.deepEqual(
        offsets.map((r) => Number(r.o)),
        [0, 1, 2, 3, 4],
      )
    })

    it('an identical retried insert is dropped where the dedup window exists, and collapses under FINAL anyway', async () => {
      const spec = bronzeTable(`dedup_${run}`, f)
      await ensure(spec)
      await ch.command(`SYSTEM STOP MERGES ${spec.name}`)
      const batch = [0, 1, 2].map((o) => bronzeRow(o, `v${o}`))
      await ch.insert(spec.name, batch)
      await ch.insert(spec.name, batch)
      assert.equal(await count(`SELECT count() AS n FROM ${spec.name}`), dedupOnInsert(f) ? 3 : 6)
      assert.equal(await count(`SELECT count() AS n FROM ${spec.name} FINAL`), 3)
    })

    it('a block sent again under its token is dropped where the server takes tokens, even with other bytes', async () => {
      const spec = bronzeTable(`token_${run}`, f)
      await ensure(spec)
      const body = (v: string) => serializeRows([0, 1, 2].map((o) => bronzeRow(o, `${v}${o}`)))
      await ch.insertRaw(spec.name, body('a'), JSON_EACH_ROW, `${spec.name}:t:0:0:0-2`)
      await ch.insertRaw(spec.name, body('b'), JSON_EACH_ROW, `${spec.name}:t:0:0:0-2`)
      assert.equal(await count(`SELECT count() AS n FROM ${spec.name}`), f.insertDeduplicationToken ? 3 : 6)
    })

    it('gold FINAL keeps the highest _version of each window, whatever the arrival order', async () => {
      const spec = goldTable(
        `rev_${run}`,
        [{ name: 'site', type: 'String' }],
        [{ name: 'total', type: 'Float64' }],
        f,
      )
      await ensure(spec)
      await ch.command(`SYSTEM STOP MERGES ${spec.name}`)
      const row = (site: string, version: number, total: number) => ({
        site,
        window_start: 1_700_000_000_000,
        window_end: 1_700_000_060_000,
        total,
        _version: version,
      })
      await ch.insert(spec.name, [row('a', 1, 10)])
      await ch.insert(spec.name, [row('a', 3, 30), row('b', 1, 5)])
      await ch.insert(spec.name, [row('a', 2, 20)])
      const rows = await ch.query<{ site: string; total: number; v: string }>(
        `SELECT site, total, _version AS v FROM ${spec.name} FINAL ORDER BY site`,
      )
      assert.deepEqual(rows, [
        { site: 'a', total: 30, v: '3' },
        { site: 'b', total: 5, v: '1' },
      ])
    })

    it('the gold view merges partials across partitions, latest version each, tombstones dropped', async () => {
      type Sale = { shop: string; amount: number | null; customer: string }
      const gold: GoldDeclaration<Sale> = {
        name: `sales_${run}`,
        window: tumbling({ size: 60_000 }),
        groupBy: { shop: (s) => s.shop },
        aggregate: {
          n: countOf(),
          total: sum((s) => s.amount),
          low: min((s) => s.amount),
          high: max((s) => s.amount),
          mean: avg((s) => s.amount),
          customers: distinctCount((s) => s.customer),
        },
      }
      const table = goldPartialsTable(gold, f)
      await ensure(table)
      await ch.command(goldViewSql(gold, f))
      created.add(goldViewName(gold))
      await ch.command(goldViewSql(gold, f)) // again: a no-op
      const T = 1_700_000_040_000 // a minute boundary
      const sales: [number, Sale][] = [
        [0, { shop: 'a', amount: 10, customer: 'x' }],
        [0, { shop: 'a', amount: null, customer: 'y' }],
        [1, { shop: 'a', amount: 30, customer: 'x' }],
        [1, { shop: 'b', amount: 5, customer: 'z' }],
      ]
      const line = goldLine(gold)
      const lines: string[] = []
      for (const partition of [0, 1]) {
        const agg = new WindowAggregator<Sale>({ window: gold.window, aggregate: gold.aggregate })
        for (const [p, s] of sales) if (p === partition) agg.add(s, JSON.stringify([s.shop]), T + 1_000, 0)
        for (const r of agg.closeUpTo(T + 120_000)) {
          const row = { topic: 't', partition, key: r.key, start: r.start, end: r.end, accs: r.accs }
          // An older, smaller version of the same partial, and a tombstoned window that must vanish.
          lines.push(line({ ...row, version: 5, accs: { ...r.accs, n: 1 } }), line({ ...row, version: 7 }))
          lines.push(line({ ...row, start: T + 60_000, end: T + 120_000, version: 9, accs: null }))
        }
      }
      await ch.insertRaw(table.name, lines.join('\n'))
      const rows = await ch.query<Record<string, unknown>>(
        `SELECT shop, window_start, n, total, low, high, mean, customers FROM ${goldViewName(gold)} ORDER BY shop`,
      )
      assert.deepEqual(
        rows.map((r) => ({ ...r, window_start: readTimestamp(r.window_start) })),
        [
          { shop: 'a', window_start: T, n: '3', total: 40, low: 10, high: 30, mean: 20, customers: '2' },
          { shop: 'b', window_start: T, n: '1', total: 5, low: 5, high: 5, mean: 5, customers: '1' },
        ],
      )
    })

    it('quarantine and the processing log accept the rows their writers will send', async () => {
      const q = quarantineTable(`ql_${run}`, f)
      await ensure(q)
      const raw = (offset: number, value: string) => {
        const { _schema_id, ...rest } = bronzeRow(offset, value)
        return rest
      }
      await ch.insert(q.name, [
        { ...raw(7, '{bad'), stage: 'decode', reason: 'not JSON', rules: [], topology: 'orders' },
        {
          ...raw(8, '{}'),
          stage: 'validate',
          reason: 'missing id',
          rules: ['required:id', 'x'],
          topology: 'orders',
        },
      ])
      const rules = await ch.query<{ rules: string[] }>(`SELECT rules FROM ${q.name} FINAL ORDER BY _offset`)
      assert.deepEqual(
        rules.map((r) => r.rules),
        [[], ['required:id', 'x']],
      )
      const log = { ...processingLogTable(f), name: `plog_${run}` }
      await ensure(log)
      await ch.insert(log.name, [
        {
          topology: 'orders',
          layer: 'silver',
          table: 'silver_orders',
          status: 'ok',
          started_at: 1_700_000_000_000,
          finished_at: 1_700_000_000_250,
          duration_ms: 250,
          records_in: 10,
          records_out: 9,
          records_invalid: 1,
          topic: 'orders',
          partition: 0,
          offset_from: 100,
          offset_to: 109,
          error: '',
        },
      ])
      assert.equal(await count(`SELECT sum(records_out) AS n FROM ${log.name} WHERE status = 'ok'`), 9)
    })
  })
}
