// Real services: Kafka, Schema Registry (Apicurio), Redis, ClickHouse 18.16 server. `tributary run
// --processes N` runs as a user would start it, in its own process, with its engines as children.
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { createServer } from 'node:net'
import { after, test } from 'node:test'
import { produceGenerated } from '../../src/cli/commands/produce.ts'
import { spawnEngine, topologyDir } from '../../src/testing/engine-process.ts'
import { renameTopology } from '../../src/testing/rename.ts'
import orders from '../../topologies/orders.ts'
import { count, createTopic, testConfig, testContext, uniqueName } from '../support/engine.ts'

const config = testConfig()
const ctx = testContext(config)
after(() => ctx.close())

/** A port nobody else listens on while the test holds it: `listen` is open until `close`. */
async function heldPort(): Promise<{ port: number; close: () => void }> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return { port: (server.address() as { port: number }).port, close: () => server.close() }
}

test('two engine processes share the partitions and every record lands exactly once', async () => {
  const name = uniqueName('orders-processes')
  const t = renameTopology(orders, name)
  const n = 20_000
  await createTopic(config, name, 6)
  const summary = await produceGenerated(ctx, t, name, n, 0.02)
  // Each child serves metrics on the base port plus its index: two listening ports, two engines.
  const held = await heldPort()
  held.close()
  const engine = spawnEngine(topologyDir('orders', name), ['--processes', '2', '--until-idle', '100'], {
    TRIBUTARY_METRICS_PORT: String(held.port),
    TRIBUTARY_LOG_LEVEL: 'info',
  })
  const exit = await engine.exited
  assert.equal(exit.code, 0, engine.output())
  assert.match(engine.output(), /supervising 2 engine processes/)
  for (const port of [held.port, held.port + 1])
    assert.match(engine.output(), new RegExp(`"port":${port}\\b[^\\n]*serving /metrics`))
  const ch = await ctx.clickhouse()
  // Plain count(), no FINAL: what a user sees.
  assert.equal(await count(ch, t.tables.bronze!, '1', false), n)
  assert.equal(await count(ch, t.tables.silver!, '1', false), summary.valid)
})

test('an engine process that fails on start-up stops the others, exit code 1, instead of a restart loop', async () => {
  const name = uniqueName('orders-processes-fail')
  await createTopic(config, name, 2)
  // The first child's metrics port is taken: it fails at start-up, as a bad setting would.
  const held = await heldPort()
  try {
    const engine = spawnEngine(topologyDir('orders', name), ['--processes', '2'], {
      TRIBUTARY_METRICS_PORT: String(held.port),
    })
    const exit = await engine.exited
    assert.equal(exit.code, 1, engine.output())
    assert.match(engine.output(), /metrics\.port/)
    assert.match(engine.output(), /engine process 1 failed on start-up/)
  } finally {
    held.close()
  }
})

test('--processes must be a whole number >= 1, said before anything starts', async () => {
  const engine = spawnEngine(topologyDir('orders', uniqueName('orders-processes-bad')), ['--processes', '0'])
  const exit = await engine.exited
  assert.equal(exit.code, 1)
  assert.match(engine.output(), /configuration --processes: must be a whole number >= 1, not "0"/)
})
