import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { test } from 'node:test'
import { setTimeout as delay } from 'node:timers/promises'
import { createClickHouse } from '../../src/clickhouse/connect.ts'
import { bronzeTable } from '../../src/sinks/clickhouse/ddl.ts'
import { ensureTable } from '../../src/sinks/clickhouse/ensure-table.ts'
import { stackEndpoints } from '../support/stack.ts'

// About 5 MB of TSV: far more than a pipe holds, so the CLI must wait for its reader.
const SQL = "SELECT number, concat('row-', toString(number * 7919)) AS label FROM system.numbers LIMIT 250000"
const HELD_BACK = 256 * 1024
const RUNS = 5

test('query piped into a slow reader writes its whole result before exiting', async () => {
  const { clickhouseUrl } = await stackEndpoints('clickhouse')
  const direct = await fetch(clickhouseUrl, { method: 'POST', body: `${SQL} FORMAT TabSeparatedWithNames` })
  assert.equal(direct.status, 200)
  const expected = Buffer.from(await direct.arrayBuffer())
  assert.ok(expected.length > 4_000_000, `a multi-MB result (${expected.length} bytes)`)

  // The loss depends on where the last write stands when the CLI finishes: several runs.
  for (let run = 1; run <= RUNS; run++) {
    const { code, stderr, got, exitedWhileUnread } = await queryThroughStalledReader(expected.length)
    assert.equal(code, 0, stderr)
    assert.equal(
      got.length,
      expected.length,
      `run ${run}: as many bytes as ClickHouse sent (the CLI exited while output was unread: ${exitedWhileUnread})`,
    )
    assert.ok(got.equals(expected), `run ${run}: the same bytes as ClickHouse sent`)
  }
})

/**
 * Runs the CLI with a reader that stops with the end of the result still unread: a CLI that exits
 * then, rather than waiting for its output to drain, loses that end.
 */
async function queryThroughStalledReader(size: number) {
  const child = spawn(process.execPath, ['bin/tributary.js', 'query', SQL, '--format', 'tsv'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stderr = ''
  child.stderr.on('data', (d) => {
    stderr += d
  })
  const exited = once(child, 'exit')
  const chunks: Buffer[] = []
  let received = 0
  let stalled = false
  let onStall!: () => void
  const stall = new Promise<void>((resolve) => {
    onStall = resolve
  })
  child.stdout.on('data', (chunk: Buffer) => {
    chunks.push(chunk)
    received += chunk.length
    if (!stalled && received >= size - HELD_BACK) {
      stalled = true
      child.stdout.pause()
      onStall()
    }
  })
  const closed = once(child.stdout, 'close')
  await Promise.race([exited, stall])
  // A slow reader: the CLI may finish fetching meanwhile, but must not exit before its output is read.
  const exitedWhileUnread = await Promise.race([exited.then(() => true), delay(1500).then(() => false)])
  child.stdout.resume()
  await closed
  const [code] = await exited
  return { code, stderr, got: Buffer.concat(chunks), exitedWhileUnread }
}

test('query --format table shows epoch-ms times on ClickHouse 18.16 as UTC dates with their milliseconds', async () => {
  const { clickhouseUrl } = await stackEndpoints('clickhouse')
  const ch = await createClickHouse(clickhouseUrl)
  const f = await ch.features()
  assert.equal(f.dateTime64, false, 'the stack runs ClickHouse 18.16, which has no DateTime64')
  const spec = bronzeTable(`query_times_${randomBytes(4).toString('hex')}`, f)
  const T = 1_796_011_380_007 // 2026-11-30 04:03:00.007 UTC
  try {
    await ensureTable(ch, spec)
    await ch.command(
      `INSERT INTO ${spec.name} (_topic, _partition, _offset, _kafka_timestamp, _ingest_time, _headers, _value, _value_encoding) ` +
        `VALUES ('t', 0, 42, ${T}, ${T}, '{}', 'x', 'utf8')`,
    )
    const sql = `SELECT _offset, _kafka_timestamp, _ingest_time AS _ingest_time FROM ${spec.name}`
    const table = await cliOutput(['query', sql, '--format', 'table'])
    assert.match(table, /_kafka_timestamp/)
    assert.equal(table.match(/2026-11-30 04:03:00\.007/g)?.length, 2, table)
    assert.doesNotMatch(table, new RegExp(String(T)))
    assert.match(table, /\b42\b/, 'other columns as they are')
    // Machine formats keep the stored integer.
    assert.equal((await cliOutput(['query', sql, '--format', 'tsv'])).trim().split('\n')[1], `42\t${T}\t${T}`)
  } finally {
    await ch.command(`DROP TABLE IF EXISTS ${spec.name}`)
    await ch.close()
  }
})

async function cliOutput(args: string[]): Promise<string> {
  const child = spawn(process.execPath, ['bin/tributary.js', ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stdout.on('data', (d) => {
    out += d
  })
  child.stderr.on('data', (d) => {
    err += d
  })
  const [code] = await once(child, 'exit')
  assert.equal(code, 0, err)
  return out
}
