// Real services: Kafka, Schema Registry (Apicurio), ClickHouse 18.16 server. The engine runs as a child process.
import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { produceGenerated } from '../../src/cli/commands/produce.ts'
import { spawnEngine, topologyDir } from '../../src/testing/engine-process.ts'
import { renameTopology } from '../../src/testing/rename.ts'
import { waitFor } from '../../src/testing/wait.ts'
import orders from '../../topologies/orders.ts'
import { count, createTopic, testConfig, testContext, uniqueName } from '../support/engine.ts'

const config = testConfig()
const ctx = testContext(config)
after(() => ctx.close())

test('SIGTERM mid-run drains, commits and exits 0; a restart finishes with nothing lost and nothing duplicated after FINAL', async () => {
  const name = uniqueName('orders-sigterm')
  const t = renameTopology(orders, name)
  const n = 30_000
  await createTopic(config, name, 3)
  const summary = await produceGenerated(ctx, t, name, n, 0.02)
  const ch = await ctx.clickhouse()
  const dir = topologyDir('orders', name)

  const first = spawnEngine(dir)
  await waitFor(
    'the first run to write part of the input',
    () => count(ch, t.tables.bronze!, '1', false).catch(() => 0),
    (c) => c > 0,
    {
      timeoutMs: 60_000,
      everyMs: 50,
    },
  )
  first.child.kill('SIGTERM')
  const exit = await first.exited
  assert.equal(exit.code, 0, first.output())
  const afterFirst = await count(ch, t.tables.bronze!, '1', false)
  assert.ok(afterFirst < n, `the SIGTERM should land mid-run (bronze had ${afterFirst} of ${n})`)

  const second = spawnEngine(dir, ['--until-idle', '3000'])
  assert.equal((await second.exited).code, 0, second.output())

  assert.equal(await count(ch, t.tables.bronze!), n)
  assert.equal(await count(ch, t.tables.silver!), summary.valid)
  assert.equal((await count(ch, t.tables.silver!)) + (await count(ch, t.tables.quarantine)), n)
  const [u] = await ch.query<{ c: string; u: string }>(
    `SELECT count() AS c, uniqExact(_partition, _offset) AS u FROM ${t.tables.bronze} FINAL`,
  )
  assert.equal(u?.c, u?.u)
})
