// Real services: Kafka, Schema Registry (Apicurio), Redis, ClickHouse 18.16 server. The engine runs
// as a child process, as `npm run demo` and the chaos harness run it.
import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { produceGenerated } from '../../src/cli/commands/produce.ts'
import { spawnEngine, topologyDir } from '../../src/testing/engine-process.ts'
import { renameTopology } from '../../src/testing/rename.ts'
import orders from '../../topologies/orders.ts'
import { count, createTopic, testConfig, testContext, uniqueName } from '../support/engine.ts'

const config = testConfig()
const ctx = testContext(config)
after(() => ctx.close())

test('run --until-idle with default batch settings stops only once caught up with a 100k backlog', async () => {
  const name = uniqueName('orders-until-idle')
  const t = renameTopology(orders, name)
  const n = 100_000
  await createTopic(config, name, 3)
  const summary = await produceGenerated(ctx, t, name, n, 0.02)
  // The defaults (1 s flush interval), not the tests' quicker one. An idle time shorter than the
  // group join or a checkpoint landing: only "caught up to the high-water marks" can hold the engine
  // (the old rule, "no record counted for that long", stopped at start-up or during a checkpoint).
  const engine = spawnEngine(topologyDir('orders', name), ['--until-idle', '100'], {
    TRIBUTARY_SINK_FLUSH_INTERVAL_MS: '1000',
  })
  const exit = await engine.exited
  assert.equal(exit.code, 0, engine.output())
  const ch = await ctx.clickhouse()
  assert.equal(await count(ch, t.tables.bronze!), n)
  assert.equal(await count(ch, t.tables.silver!), summary.valid)
})
