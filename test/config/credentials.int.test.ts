// Real services: Kafka, Schema Registry (Apicurio), ClickHouse 18.16 server, and a private
// redis-server started here with a password (the shared stack's Redis has none).
import assert from 'node:assert/strict'
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import path from 'node:path'
import { after, test } from 'node:test'
import { promisify } from 'node:util'
import { produceGenerated } from '../../src/cli/commands/produce.ts'
import { Engine } from '../../src/runtime/engine.ts'
import { waitFor } from '../../src/testing/wait.ts'
import orders from '../../topologies/orders.ts'
import { count, createTopic, isolated, quietLogger, testConfig, testContext } from '../support/engine.ts'
import { freePort } from '../support/free-port.ts'

const repo = path.resolve(import.meta.dirname, '../..')
const config = testConfig()
const ctx = testContext(config)
let redis: ChildProcess | undefined
after(async () => {
  redis?.kill('SIGTERM')
  await ctx.close()
})

async function passwordRedis(password: string): Promise<string> {
  const port = await freePort()
  redis = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--requirepass', password],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  )
  let out = ''
  for await (const chunk of redis.stdout!) {
    out += String(chunk)
    if (out.includes('Ready to accept connections')) return `redis://127.0.0.1:${port}`
  }
  return assert.fail(`redis-server exited before it was ready:\n${out}`)
}

test('a stateful topology checkpoints to a Redis that requires TRIBUTARY_REDIS_PASSWORD', async () => {
  const url = await passwordRedis('s3cret-redis')
  const t = isolated(orders)
  const topic = t.definition.source.topics[0]!
  await createTopic(config, topic, 2)
  const summary = await produceGenerated(ctx, t, topic, 500, 0)
  const engine = new Engine({
    config: testConfig({ TRIBUTARY_REDIS_URL: url, TRIBUTARY_REDIS_PASSWORD: 's3cret-redis' }),
    topologies: [t],
    logger: quietLogger(),
  })
  await engine.start()
  const ch = await ctx.clickhouse()
  try {
    await waitFor(
      'every valid record in silver (state and offsets checkpointed in the password-protected Redis)',
      () => count(ch, t.tables.silver!),
      (c) => c === summary.valid,
      { timeoutMs: 60_000 },
    )
  } finally {
    await engine.stop()
  }
})

test('config check and status print URLs with their credentials masked', async () => {
  const env = {
    ...process.env,
    TRIBUTARY_CLICKHOUSE_URL: config.clickhouse.url.replace('://', '://default:ch-url-secret@'),
    TRIBUTARY_REGISTRY_URL: config.registry.url.replace('://', '://reader:registry-url-secret@'),
    TRIBUTARY_REDIS_URL: config.redis.url.replace('://', '://:redis-url-secret@'),
  }
  const cli = (...args: string[]) =>
    promisify(execFile)(process.execPath, [path.join(repo, 'src/cli/main.ts'), ...args], { cwd: repo, env })
      .then((r) => r.stdout + r.stderr)
      .catch((e: { stdout: string; stderr: string }) => e.stdout + e.stderr)
  for (const args of [['config', 'check'], ['status']]) {
    const out = await cli(...args)
    assert.match(out, /\*\*\*@/, `${args.join(' ')} printed:\n${out}`)
    assert.doesNotMatch(
      out,
      /ch-url-secret|registry-url-secret|redis-url-secret/,
      `${args.join(' ')} printed:\n${out}`,
    )
  }
})
