// Real services: the ClickHouse server (TRIBUTARY_CLICKHOUSE_URL, 18.16 in the local stack) and
// chDB, ClickHouse embedded in this process (npm chdb), which needs no service.
import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { createClient } from '@clickhouse/client'
import { query as chdbQuery, Session } from 'chdb'
import { stackEndpoints, uniqueName } from '../support/stack.ts'

const closers: (() => unknown)[] = []
after(async () => {
  for (const close of closers.reverse()) await close()
})

test('ClickHouse server: create, insert, select', async () => {
  const { clickhouseUrl } = await stackEndpoints('clickhouse')
  const ch = createClient({ url: clickhouseUrl })
  closers.push(() => ch.close())
  const table = uniqueName('smoke_ch')

  assert.equal((await ch.ping()).success, true)
  // MergeTree in the 18.16 syntax that newer servers still accept.
  await ch.command({
    query: `CREATE TABLE ${table} (id UInt32, name String, amount Float64) ENGINE = MergeTree ORDER BY id`,
  })
  closers.push(() => ch.command({ query: `DROP TABLE IF EXISTS ${table}` }))
  await ch.insert({
    table,
    values: [
      { id: 2, name: 'b', amount: 2.5 },
      { id: 1, name: 'a', amount: 1.25 },
      { id: 3, name: 'c', amount: 10 },
    ],
    format: 'JSONEachRow',
  })
  const rs = await ch.query({
    query: `SELECT id, name, amount FROM ${table} ORDER BY id`,
    format: 'JSONEachRow',
  })
  assert.deepEqual(await rs.json(), [
    { id: 1, name: 'a', amount: 1.25 },
    { id: 2, name: 'b', amount: 2.5 },
    { id: 3, name: 'c', amount: 10 },
  ])
  const sum = await ch.query({
    query: `SELECT sum(amount) AS s, count() AS n FROM ${table}`,
    format: 'JSONEachRow',
  })
  // 18.16 quotes UInt64 in JSON by default, as newer servers do.
  assert.deepEqual(await sum.json(), [{ s: 13.75, n: '3' }])
})

test('chDB: stateless query and a session with create, insert, select', () => {
  const one = chdbQuery("SELECT 1 + 1 AS two, 'x' AS s", 'JSONEachRow')
  assert.deepEqual(JSON.parse(one.trim()), { two: 2, s: 'x' })

  const session = new Session()
  closers.push(() => session.cleanup())
  session.query('CREATE TABLE t (id UInt32, name String) ENGINE = MergeTree ORDER BY id')
  session.query("INSERT INTO t VALUES (2, 'b'), (1, 'a')")
  const rows = session
    .query('SELECT id, name FROM t ORDER BY id', 'JSONEachRow')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
  assert.deepEqual(rows, [
    { id: 1, name: 'a' },
    { id: 2, name: 'b' },
  ])
})
