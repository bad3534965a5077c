// Integration: ClickHouse server (TRIBUTARY_CLICKHOUSE_URL, from `npm run stack:up`) and chDB in-process.
import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import { after, before, describe, it } from 'node:test'
import type { ClickHouse } from '../../src/clickhouse/client.ts'
import { createClickHouse } from '../../src/clickhouse/connect.ts'
import { ClickHouseError } from '../../src/clickhouse/errors.ts'
import { CircuitBreaker } from '../../src/resilience/circuit-breaker.ts'
import { bronzeTable } from '../../src/sinks/clickhouse/ddl.ts'
import { ensureTable } from '../../src/sinks/clickhouse/ensure-table.ts'
import { createInserter } from '../../src/sinks/clickhouse/inserter.ts'
import { dropTables, ENGINES, uniqueSuffix } from './engines.ts'

async function rejection(p: Promise<unknown>): Promise<ClickHouseError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  )
  assert.ok(err instanceof ClickHouseError, `expected a ClickHouseError, got ${String(err)}`)
  return err
}

/** A port nothing listens on: bound by us, then released. */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

for (const engine of ENGINES) {
  describe(`client on ${engine.label}`, () => {
    let ch: ClickHouse
    const run = uniqueSuffix()
    const tables: string[] = []

    before(async () => {
      ch = await engine.open()
    })
    after(async () => {
      await dropTables(ch, tables)
      await ch.close()
    })

    it('answers ping and reports 64-bit integers as strings', async () => {
      assert.equal(await ch.ping(), true)
      assert.deepEqual(await ch.query('SELECT toInt64(9007199254740993) AS big, toInt32(7) AS small'), [
        { big: '9007199254740993', small: 7 },
      ])
    })

    it('bad SQL and bad values are not retriable', async () => {
      const syntax = await rejection(ch.query('SELEC 1'))
      assert.equal(syntax.retriable, false)
      assert.equal(syntax.clickhouseCode, 62)
      const parse = await rejection(ch.query("SELECT toInt32('x')"))
      assert.equal(parse.retriable, false)
      const unknown = await rejection(ch.command(`INSERT INTO nope_${run} VALUES (1)`))
      assert.equal(unknown.retriable, false)
    })

    it('an insert with a field the table lacks fails instead of dropping it', async () => {
      const spec = bronzeTable(`strict_${run}`, await ch.features())
      tables.push(spec.name)
      await ensureTable(ch, spec)
      const err = await rejection(ch.insertRaw(spec.name, '{"_topic":"t","not_a_column":1}\n'))
      assert.equal(err.retriable, false)
      assert.equal(err.clickhouseCode, 117)
    })

    it('streams a result in the requested format', async () => {
      const chunks: Buffer[] = []
      for await (const c of ch.stream('SELECT number AS n FROM system.numbers LIMIT 3', 'CSVWithNames')) {
        chunks.push(Buffer.from(c))
      }
      assert.equal(Buffer.concat(chunks).toString('utf8'), '"n"\n0\n1\n2\n')
    })

    it('the inserter delivers a raw body through breaker and retry', async () => {
      const spec = bronzeTable(`ins_${run}`, await ch.features())
      tables.push(spec.name)
      await ensureTable(ch, spec)
      const inserter = createInserter(ch, {
        breaker: new CircuitBreaker({ name: 'ch', failureThreshold: 3, resetTimeoutMs: 1000 }),
      })
      const body =
        '{"_topic":"t","_partition":1,"_offset":5,"_value":"x","_value_encoding":"utf8","_headers":"{}"}\n'
      assert.deepEqual(await inserter.insertRaw(spec.name, body, 1), { rows: 1, attempts: 1 })
      const rows = await ch.query(`SELECT _partition AS p, _key AS k FROM ${spec.name}`)
      assert.deepEqual(rows, [{ p: 1, k: null }])
    })
  })
}

describe('ClickHouse server that is not there', () => {
  it('connection refused is retriable, and ping says false instead of throwing', async () => {
    const ch = await createClickHouse(`http://127.0.0.1:${await closedPort()}`)
    try {
      assert.equal(await ch.ping(), false)
      const err = await rejection(ch.query('SELECT 1'))
      assert.equal(err.retriable, true)
      assert.equal(err.code, 'CLICKHOUSE_UNAVAILABLE')
      const insert = await rejection(ch.insertRaw('bronze_x', '{}\n'))
      assert.equal(insert.retriable, true)
    } finally {
      await ch.close()
    }
  })
})
