import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { test } from 'node:test'
import { setTimeout as delay } from 'node:timers/promises'
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
