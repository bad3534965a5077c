// Real services: Kafka, Schema Registry (Apicurio), Redis, ClickHouse 18.16 server; one of them is
// pointed at a port nothing listens on. The engine runs as a child process, signalled like an
// operator would.
import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { Kafka, logLevel } from 'kafkajs'
import { produceGenerated } from '../../src/cli/commands/produce.ts'
import { type EngineProcess, spawnEngine, topologyDir } from '../../src/testing/engine-process.ts'
import { renameTopology } from '../../src/testing/rename.ts'
import { waitFor } from '../../src/testing/wait.ts'
import orders from '../../topologies/orders.ts'
import { count, createTopic, testConfig, testContext, uniqueName } from '../support/engine.ts'
import { freePort } from '../support/free-port.ts'

const config = testConfig()
const ctx = testContext(config)
const engines: EngineProcess[] = []
after(async () => {
  // A test that failed may leave its engine waiting: never leave one behind.
  for (const e of engines)
    if (e.child.exitCode === null && e.child.signalCode === null) e.child.kill('SIGKILL')
  await ctx.close()
})

function engineFor(...args: Parameters<typeof spawnEngine>): EngineProcess {
  const e = spawnEngine(...args)
  engines.push(e)
  return e
}

/** How long SIGTERM may take to stop the engine, whatever it waits on (README: 30 s). */
const STOP_BOUND_MS = 30_000

async function exitsWithin(engine: EngineProcess, ms: number) {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), ms)
  })
  const exit = await Promise.race([engine.exited, late])
  clearTimeout(timer)
  if (exit === 'late') {
    engine.child.kill('SIGKILL')
    assert.fail(`still running ${ms} ms after SIGTERM; output:\n${engine.output()}`)
  }
  return exit
}

async function ordersWithBacklog(prefix: string, n = 200) {
  const name = uniqueName(prefix)
  const t = renameTopology(orders, name)
  await createTopic(config, name, 2)
  await produceGenerated(ctx, t, name, n, 0)
  return { name, t, dir: topologyDir('orders', name) }
}

for (const [what, setting, env, url] of [
  [
    'schema registry',
    'registry.url',
    'TRIBUTARY_REGISTRY_URL',
    (p: number) => `http://127.0.0.1:${p}/apis/ccompat/v7`,
  ],
  ['Redis', 'redis.url', 'TRIBUTARY_REDIS_URL', (p: number) => `redis://127.0.0.1:${p}`],
] as const) {
  test(`${what} unreachable at start-up: the wait is logged naming ${setting}, and SIGTERM stops it within ${STOP_BOUND_MS} ms`, async () => {
    const { dir } = await ordersWithBacklog('orders-wait')
    const engine = engineFor(dir, [], { [env]: url(await freePort()) })
    await waitFor(
      `a log line naming ${setting}`,
      async () => engine.output(),
      (out) => out.includes(setting) && out.includes(env),
      { timeoutMs: 60_000 },
    )
    engine.child.kill('SIGTERM')
    const exit = await exitsWithin(engine, STOP_BOUND_MS)
    assert.equal(exit.code, 0, engine.output())
  })
}

for (const [what, setting, env, value] of [
  ['ClickHouse', 'clickhouse.url', 'TRIBUTARY_CLICKHOUSE_URL', (p: number) => `http://127.0.0.1:${p}`],
  ['Kafka', 'kafka.brokers', 'TRIBUTARY_KAFKA_BROKERS', (p: number) => `127.0.0.1:${p}`],
] as const) {
  test(`${what} unreachable at start-up: exits 1 naming ${setting} and ${env}`, async () => {
    const { dir } = await ordersWithBacklog('orders-down')
    const engine = engineFor(dir, [], { [env]: value(await freePort()) })
    const exit = await exitsWithin(engine, 120_000)
    assert.equal(exit.code, 1, engine.output())
    assert.match(engine.output(), new RegExp(`${setting.replace('.', '\\.')}.*${env}`))
  })
}

test('a missing source topic is named and waited for (source.missingTopics=wait), then consumed once created', async () => {
  const name = uniqueName('orders-missing')
  const t = renameTopology(orders, name)
  const engine = engineFor(topologyDir('orders', name), ['--until-idle', '3000'])
  await waitFor(
    'a log line naming the missing topic and the setting',
    async () => engine.output(),
    (out) => out.includes(name) && out.includes('source.missingTopics'),
    { timeoutMs: 60_000 },
  )
  await createTopic(config, name, 2)
  const summary = await produceGenerated(ctx, t, name, 300, 0)
  const exit = await exitsWithin(engine, 120_000)
  assert.equal(exit.code, 0, engine.output())
  assert.equal(await count(await ctx.clickhouse(), t.tables.silver!), summary.valid)
})

test('source.missingTopics=create creates a missing source topic', async () => {
  const name = uniqueName('orders-create')
  const engine = engineFor(topologyDir('orders', name), [], { TRIBUTARY_SOURCE_MISSING_TOPICS: 'create' })
  const admin = new Kafka({ brokers: [...config.kafka.brokers], logLevel: logLevel.NOTHING }).admin()
  await admin.connect()
  try {
    await waitFor(
      'the topic to exist',
      () => admin.listTopics(),
      (topics) => topics.includes(name),
      {
        timeoutMs: 60_000,
      },
    )
  } finally {
    await admin.disconnect()
  }
  await waitFor(
    'the engine to run',
    async () => engine.output(),
    () => true,
  )
  engine.child.kill('SIGTERM')
  const exit = await exitsWithin(engine, STOP_BOUND_MS)
  assert.equal(exit.code, 0, engine.output())
})
