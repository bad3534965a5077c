// Integration: ClickHouse server (TRIBUTARY_CLICKHOUSE_URL, from `npm run stack:up`) and chDB in-process.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { ClickHouse } from '../../../src/clickhouse/client.ts'
import type { Features } from '../../../src/clickhouse/features.ts'
import { defineSchema, type Infer } from '../../../src/schema/types.ts'
import { silverTable } from '../../../src/sinks/clickhouse/ddl.ts'
import { ensureTable } from '../../../src/sinks/clickhouse/ensure-table.ts'
import { recordFor } from '../../../src/sinks/clickhouse/types.ts'
import { RowBuffer } from '../../../src/sinks/row-buffer.ts'
import { silverRows } from '../../../src/sinks/rows.ts'
import { dropTables, ENGINES, uniqueSuffix } from '../../clickhouse/engines.ts'

const ts = { type: 'long', logicalType: 'timestamp-millis' } as const
const schema = defineSchema({
  type: 'record',
  name: 'Everything',
  fields: [
    { name: 'id', type: 'int' },
    { name: 's', type: 'string' },
    { name: 'l', type: 'long' },
    { name: 'f', type: 'float' },
    { name: 'd', type: 'double' },
    { name: 'b', type: 'boolean' },
    { name: 'raw', type: 'bytes' },
    { name: 'e', type: { type: 'enum', name: 'E', symbols: ['RED', 'GREEN'] } },
    { name: 'at', type: ts },
    { name: 'day', type: { type: 'int', logicalType: 'date' } },
    { name: 'amount', type: { type: 'bytes', logicalType: 'decimal', precision: 12, scale: 2 } },
    { name: 'wide', type: { type: 'bytes', logicalType: 'decimal', precision: 38, scale: 10 } },
    { name: 'tags', type: { type: 'array', items: 'string' } },
    { name: 'maybe_tags', type: { type: 'array', items: ['null', 'long'] } },
    { name: 'attrs', type: { type: 'map', values: 'long' } },
    { name: 'times', type: { type: 'map', values: ['null', ts] } },
    { name: 'n_s', type: ['null', 'string'] },
    { name: 'n_l', type: ['null', 'long'] },
    { name: 'n_e', type: ['null', { type: 'enum', name: 'E2', symbols: ['X'] }] },
    { name: 'n_at', type: ['null', ts] },
    { name: 'n_amount', type: ['null', { type: 'bytes', logicalType: 'decimal', precision: 9, scale: 3 }] },
    { name: 'n_list', type: ['null', { type: 'array', items: 'boolean' }] },
    { name: 'n_map', type: ['null', { type: 'map', values: 'string' }] },
  ],
})
type Everything = Infer<typeof schema>

const records: Everything[] = [
  {
    id: 1,
    s: 'héllo "quoted" \\ \n tab\t ✓',
    l: Number.MAX_SAFE_INTEGER,
    f: 1.5,
    d: 0.1,
    b: true,
    raw: Buffer.from([0, 1, 127, 128, 255]),
    e: 'GREEN',
    at: 1_700_000_000_123,
    day: 19_724,
    amount: -1234567890.12,
    wide: 1234567.0123456789,
    tags: ['a', ''],
    maybe_tags: [1, null, -3],
    attrs: { x: -1, y: 2 ** 40 },
    times: { t: 5, u: null },
    n_s: 'present',
    n_l: -Number.MAX_SAFE_INTEGER,
    n_e: 'X',
    n_at: 0,
    n_amount: 0.001,
    n_list: [true, false],
    n_map: { k: 'v' },
  },
  {
    id: 2,
    s: '',
    l: -1,
    f: -0.25,
    d: 1e-300,
    b: false,
    raw: Buffer.alloc(0),
    e: 'RED',
    at: -1500,
    day: 0,
    amount: 0.01,
    wide: -0.1,
    tags: ["it's", 'tab\tnew\nline\\ \r nul\0'],
    maybe_tags: [],
    attrs: { "k'ey\t": 1 },
    times: { before_1970: -86_400_001 },
    n_s: null,
    n_l: null,
    n_e: null,
    n_at: null,
    n_amount: null,
    n_list: [],
    n_map: {},
  },
]

for (const engine of ENGINES) {
  describe(`type round-trip on ${engine.label}`, () => {
    let ch: ClickHouse
    let features: Features
    const entity = `roundtrip_${uniqueSuffix()}`
    const table = `silver_${entity}`

    before(async () => {
      ch = await engine.open()
      features = await ch.features()
      await ensureTable(ch, silverTable(entity, schema, features))
    })
    after(async () => {
      await dropTables(ch, [table])
      await ch.close()
    })

    /** Through the engine's own silver encoder, as the silver sink writes them. */
    async function insertSilver(values: Everything[]): Promise<void> {
      const encoder = silverRows<Everything>(schema, features)
      const out = new RowBuffer()
      values.forEach((value, i) => {
        const source = {
          topic: 't',
          partition: 0,
          offset: String(i),
          timestamp: 1_700_000_000_000,
          key: null,
          value: null,
          headers: {},
        }
        encoder.write(out, { value, source, eventTime: 0, schemaId: null }, 1_700_000_000_001)
      })
      await ch.insertRaw(table, out.take(), encoder.format)
    }

    it('every schema type reads back as written (null array/map read back empty)', async () => {
      await insertSilver(records)
      const rows = await ch.query(`SELECT * FROM \`${table}\` ORDER BY id`)
      const back = rows.map(recordFor<Everything>(schema, features))
      assert.deepEqual(back, records)
    })

    it('a null nullable array or map is stored as empty: ClickHouse has no Nullable(Array)', async () => {
      await insertSilver([{ ...records[1]!, id: 3, n_list: null, n_map: null }])
      const [row] = await ch.query(`SELECT * FROM \`${table}\` WHERE id = 3`)
      const back = recordFor<Everything>(schema, features)(row!)
      assert.deepEqual(back.n_list, [])
      assert.equal(
        back.n_map === null ? 'null' : JSON.stringify(back.n_map),
        features.mapType ? '{}' : 'null',
      )
    })

    it('timestamps are stored as the instant (epoch millis), whatever the column type', async () => {
      const expr = features.dateTime64 ? 'toUnixTimestamp64Milli(at)' : 'at'
      const rows = await ch.query<{ ms: string }>(
        `SELECT toString(${expr}) AS ms FROM \`${table}\` WHERE id = 1`,
      )
      assert.equal(rows[0]?.ms, '1700000000123')
    })
  })
}
