// Real services: a private redis-server process started by this test (it is stopped and restarted,
// which the shared stack's Redis must not be).
import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { Redis } from 'ioredis'
import { RedisStateStore, WAIT_OUT_RESTARTS } from '../../src/state/redis-store.ts'
import { emptyChanges } from '../../src/state/state-store.ts'
import { freePort } from '../support/free-port.ts'

const dir = mkdtempSync(join(tmpdir(), 'tributary-redis-'))
const port = await freePort()
let server: ChildProcess | undefined

after(async () => {
  await stopServer()
  rmSync(dir, { recursive: true, force: true })
})

async function startServer(): Promise<void> {
  // AOF with fsync on every write, so the state outlives the restart as it would in production.
  server = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--save',
      '',
      '--appendonly',
      'yes',
      '--appendfsync',
      'always',
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  )
  let out = ''
  for await (const chunk of server.stdout!) {
    out += String(chunk)
    if (out.includes('Ready to accept connections')) return
  }
  assert.fail(`redis-server exited before it was ready:\n${out}`)
}

async function stopServer(): Promise<void> {
  if (!server || server.exitCode !== null) return
  const exited = once(server, 'exit')
  server.kill('SIGTERM')
  await exited
}

/** Same settings as createRedisStore but reconnecting every 10 ms, so many attempts pass quickly. */
function storeWith(options: object): RedisStateStore {
  const client = new Redis(`redis://127.0.0.1:${port}`, options)
  client.on('error', () => {})
  return new RedisStateStore(client)
}

/** events.once would reject on the 'error' each failed attempt emits; those are expected here. */
function nextReconnect(store: RedisStateStore): Promise<void> {
  return new Promise((resolve) => store.client.once('reconnecting', () => resolve()))
}

async function reconnectAttempts(store: RedisStateStore, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await nextReconnect(store)
}

const ref = { topology: 'restart', topic: 'orders', partition: 0 }

test('a commit issued while Redis is down waits out the restart and then lands', async () => {
  await startServer()
  const store = storeWith({ ...WAIT_OUT_RESTARTS, retryStrategy: () => 10 })
  try {
    await store.commit([{ ref, offset: '1', changes: { ...emptyChanges(), kvPut: [['a', '1']] } }], 0)
    const down = nextReconnect(store)
    await stopServer()
    await down
    assert.notEqual(store.client.status, 'ready')

    let settled = false
    const pending = store
      .commit([{ ref, offset: '2', changes: { ...emptyChanges(), kvPut: [['b', '2']] } }], 0)
      .finally(() => {
        settled = true
      })
    // ioredis' default (maxRetriesPerRequest 20) fails queued commands at the 21st attempt.
    await reconnectAttempts(store, 30)
    assert.equal(settled, false, 'the commit must still be waiting, not failed')

    await startServer()
    await pending
    const s = await store.load(ref, 0)
    assert.equal(s.offset, '2')
    assert.deepEqual([...s.kv].sort(), [
      ['a', '1'],
      ['b', '2'],
    ])
  } finally {
    await store.close()
  }
})

test('with ioredis defaults the same outage fails the commit, as a retriable STATE_UNAVAILABLE', async () => {
  if (!server || server.exitCode !== null) await startServer()
  const store = storeWith({ retryStrategy: () => 10 })
  try {
    await store.load(ref, 0)
    const down = nextReconnect(store)
    await stopServer()
    await down
    await assert.rejects(store.commit([{ ref, offset: '3', changes: emptyChanges() }], 0), {
      code: 'STATE_UNAVAILABLE',
      retriable: true,
    })
  } finally {
    await store.close()
  }
})
