// Real services: Kafka, ClickHouse 18.16 (a private server this test stops for 20 s and restarts).
import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { produceGenerated } from '../../src/cli/commands/produce.ts'
import { BASE_PORTS } from '../../src/config/endpoints.ts'
import { Engine } from '../../src/runtime/engine.ts'
import { waitFor } from '../../src/testing/wait.ts'
import sensors from '../../topologies/sensor-readings.ts'
import { count, createTopic, isolated, quietLogger, testConfig, testContext } from '../support/engine.ts'
import { PrivateService } from '../support/private-service.ts'

const clickhouse = new PrivateService('clickhouse', 3000)
after(() => clickhouse.stop(true))

test('ClickHouse down for 20 s mid-run: the circuit opens, consumption waits, and nothing is lost', async () => {
  await clickhouse.start()
  const config = testConfig({
    TRIBUTARY_CLICKHOUSE_URL: `http://127.0.0.1:${BASE_PORTS.clickhouseHttp + clickhouse.offset}`,
    TRIBUTARY_SINK_RETRY_MAX_MS: '1000',
    // The private server has no ZooKeeper; this test is about the outage, not replays.
    TRIBUTARY_CLICKHOUSE_EXACTNESS: 'final',
  })
  const ctx = testContext(config)
  const t = isolated(sensors)
  const topic = t.definition.source.topics[0]!
  await createTopic(config, topic, 2)
  const first = await produceGenerated(ctx, t, topic, 5000, 0.05)

  const engine = new Engine({ config, topologies: [t], logger: quietLogger() })
  await engine.start()
  const ch = await ctx.clickhouse()
  try {
    await waitFor(
      'the first half in bronze',
      () => count(ch, t.tables.bronze!),
      (c) => c === 5000,
    )
    await clickhouse.stop()
    const second = await produceGenerated(ctx, t, topic, 5000, 0.05, { from: 5000 })
    await waitFor(
      'the circuit to open',
      () => engine.metrics.text(),
      (text) => /tributary_circuit_state\{[^}]*target="clickhouse"\} 2/.test(text),
    )
    // The outage itself: ClickHouse stays down this long whatever the engine does.
    await new Promise((r) => setTimeout(r, 20_000))
    await clickhouse.start()
    const n = first.produced + second.produced
    // An epoch's tables land in parallel: wait for all of them, not bronze alone.
    await waitFor(
      'every record after recovery, in bronze and in silver or quarantine',
      async () => [
        await count(ch, t.tables.bronze!),
        (await count(ch, t.tables.silver!)) + (await count(ch, t.tables.quarantine)),
      ],
      ([bronze, sorted]) => bronze === n && sorted === n,
      { timeoutMs: 90_000 },
    )
    assert.equal(await count(ch, t.tables.silver!), first.valid + second.valid)
    const text = await engine.metrics.text()
    assert.match(text, /tributary_circuit_state\{[^}]*target="clickhouse"\} 0/)
    assert.match(text, /tributary_retries_total\{[^}]*\} [1-9]/)
  } finally {
    await engine.stop()
    await ctx.close()
  }
})
