// Real services: Kafka, Schema Registry (Apicurio), Redis, ClickHouse 18.16 server. The engine runs as a child process killed with SIGKILL.
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

test('SIGKILL three times mid-run: bronze = produced, silver has each valid order exactly once after FINAL, nothing lost', async () => {
  const name = uniqueName('orders-crash')
  const t = renameTopology(orders, name)
  const n = 40_000
  await createTopic(config, name, 3)
  const summary = await produceGenerated(ctx, t, name, n, 0.02, { duplicateRatio: 0.03 })
  const invalid = Object.values(summary.invalid).reduce((a, b) => a + b, 0)
  const ch = await ctx.clickhouse()
  const dir = topologyDir('orders', name)
  const rawBronze = () => count(ch, t.tables.bronze!, '1', false).catch(() => 0)

  for (let kill = 1; kill <= 3; kill++) {
    const before = await rawBronze()
    const engine = spawnEngine(dir, [], { TRIBUTARY_SINK_MAX_BATCH_ROWS: '2000' })
    await waitFor(`run ${kill} to write more rows`, rawBronze, (c) => c > before, {
      timeoutMs: 60_000,
      everyMs: 20,
    })
    engine.child.kill('SIGKILL')
    assert.equal((await engine.exited).signal, 'SIGKILL')
  }
  assert.ok((await count(ch, t.tables.bronze!)) < summary.produced, 'the kills should land before the end')

  const last = spawnEngine(dir, ['--until-idle', '3000'])
  assert.equal((await last.exited).code, 0, last.output())

  assert.equal(await count(ch, t.tables.bronze!), summary.produced)
  assert.equal(await count(ch, t.tables.quarantine), invalid)
  const [silver] = await ch.query<{ c: string; u: string }>(
    `SELECT count() AS c, uniqExact(order_id) AS u FROM ${t.tables.silver} FINAL`,
  )
  assert.equal(Number(silver?.c), summary.valid, 'one silver row per valid order')
  assert.equal(silver?.u, silver?.c, 'no order id twice in silver')
})
