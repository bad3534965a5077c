import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import path from 'node:path'
import { test } from 'node:test'
import { createClickHouse } from '../../src/clickhouse/connect.ts'
import { uniqueName } from '../support/engine.ts'
import { stackEndpoints } from '../support/stack.ts'

const ROOT = path.resolve(import.meta.dirname, '../..')

async function tablesCli(args: string[]): Promise<string> {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/tributary.js'), 'tables', ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  let out = ''
  child.stdout.on('data', (d) => {
    out += d
  })
  const [code] = await once(child, 'exit')
  assert.equal(code, 0)
  return out
}

test('tables lists late tables and counts the rows of gold views', async () => {
  const { clickhouseUrl } = await stackEndpoints('clickhouse')
  const ch = await createClickHouse(clickhouseUrl)
  const entity = uniqueName('tables').replaceAll('-', '_')
  const late = `late_${entity}`
  const partials = `gold_${entity}_partials`
  const gold = `gold_${entity}`
  try {
    await ch.command(`CREATE TABLE ${late} (x UInt8) ENGINE = MergeTree() ORDER BY x`)
    await ch.command(`INSERT INTO ${late} VALUES (1), (2)`)
    await ch.command(`CREATE TABLE ${partials} (k UInt8, n UInt64) ENGINE = MergeTree() ORDER BY k`)
    await ch.command(`INSERT INTO ${partials} VALUES (1, 5), (1, 6), (2, 7)`)
    // As the gold_<name> views do: partial rows merged into one per key.
    await ch.command(`CREATE VIEW ${gold} AS SELECT k, sum(n) AS n FROM ${partials} GROUP BY k`)

    const all = await tablesCli([])
    assert.match(all, new RegExp(`^${late}\\t2 rows$`, 'm'))
    assert.match(all, new RegExp(`^${gold}\\t2 rows$`, 'm'))
    assert.match(all, new RegExp(`^${partials}\\t3 rows$`, 'm'))
    assert.match(await tablesCli(['--layer', 'late']), new RegExp(`^${late}\\t2 rows$`, 'm'))
  } finally {
    for (const t of [gold, partials, late]) await ch.command(`DROP TABLE IF EXISTS ${t}`)
    await ch.close()
  }
})
