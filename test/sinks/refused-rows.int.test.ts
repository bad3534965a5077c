// Integration: ClickHouse server (from `npm run stack:up`) and chDB in-process. A block the server
// refuses for its data is split until the refused rows are found; the rest lands (issue 12, finding 2).
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { ClickHouse } from '../../src/clickhouse/client.ts'
import { partitionKey } from '../../src/records/partition.ts'
import type { KafkaRecord } from '../../src/records/record.ts'
import { CircuitBreaker } from '../../src/resilience/circuit-breaker.ts'
import { createInserter } from '../../src/sinks/clickhouse/inserter.ts'
import { jsonLines, TableSink } from '../../src/sinks/table-sink.ts'
import { dropTables, ENGINES, uniqueSuffix } from '../clickhouse/engines.ts'

interface Item {
  readonly source: KafkaRecord
  readonly line: string
}

function item(offset: number, n: unknown): Item {
  const source: KafkaRecord = {
    topic: 't',
    partition: 0,
    offset: String(offset),
    timestamp: 0,
    key: null,
    value: null,
    headers: {},
  }
  return { source, line: JSON.stringify({ id: offset, n }) }
}

for (const engine of ENGINES) {
  describe(`refused rows on ${engine.label}`, () => {
    let ch: ClickHouse
    const table = `refused_${uniqueSuffix()}`
    before(async () => {
      ch = await engine.open()
      await ch.command(`CREATE TABLE ${table} (id Int64, n Int32) ENGINE = MergeTree ORDER BY id`)
    })
    after(async () => {
      await dropTables(ch, [table])
      await ch.close()
    })

    it('finds the rows a non-retriable insert refused, lands the others, and says why per row', async () => {
      const inserter = createInserter(ch, {
        breaker: new CircuitBreaker({ name: 'ch', failureThreshold: 3, resetTimeoutMs: 1000 }),
        retry: { retries: 2, baseMs: 1, maxMs: 1 },
      })
      const refused: { offset: string; reason: string }[] = []
      const sink = new TableSink<Item>({
        table,
        writer: {
          insertRaw: async (tbl, body, rows, format, token) => {
            await inserter.insertRaw(tbl, body, rows, format, token)
          },
        },
        encoder: jsonLines((x: Item) => x.line),
        partitionOf: (x) => x.source,
        source: (x) => x.source,
        onRefused: async (_tp, _block, rows) => {
          for (const r of rows) refused.push({ offset: r.record.offset, reason: r.reason })
        },
      })
      for (let i = 0; i < 100; i++) sink.add(item(i, i === 17 || i === 80 ? 'not a number' : i))
      const result = await sink.flush(new Map([[partitionKey('t', 0), { id: '0:0-99', to: '99' }]]))
      assert.deepEqual(
        refused.map((r) => r.offset),
        ['17', '80'],
      )
      for (const r of refused) assert.match(r.reason, /ClickHouse refused this row: .*n/)
      assert.equal(result.rows, 98)
      assert.equal(
        result.partitions.reduce((a, p) => a + p.count, 0),
        98,
      )
      const [row] = await ch.query<{ c: string }>(`SELECT count() AS c FROM ${table}`)
      assert.equal(Number(row?.c), 98)
    })
  })
}
