// Real services: a private Kafka broker this test stops for 20 s and restarts; the stack's
// registry, Redis and ClickHouse 18.16.
import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { Kafka, logLevel } from 'kafkajs'
import { produceGenerated } from '../../src/cli/commands/produce.ts'
import { BASE_PORTS } from '../../src/config/endpoints.ts'
import { Engine } from '../../src/runtime/engine.ts'
import { waitFor } from '../../src/testing/wait.ts'
import orders from '../../topologies/orders.ts'
import { count, createTopic, isolated, quietLogger, testConfig, testContext } from '../support/engine.ts'
import { PrivateService } from '../support/private-service.ts'

const kafka = new PrivateService('kafka', 3200)
after(() => kafka.stop(true))

test('Kafka down for 20 s mid-run: the engine rides it out, loses nothing, and Kafka commits catch up with the checkpoint', async () => {
  await kafka.start()
  const brokers = `127.0.0.1:${BASE_PORTS.kafka + kafka.offset}`
  // Epochs 15 s apart: the broker is down before the first epoch commits (its rows and state
  // land first), which is what ended the engine before.
  const config = testConfig({
    TRIBUTARY_KAFKA_BROKERS: brokers,
    TRIBUTARY_SINK_RETRY_MAX_MS: '1000',
    TRIBUTARY_SINK_FLUSH_INTERVAL_MS: '15000',
    TRIBUTARY_SINK_MIN_FLUSH_INTERVAL_MS: '15000',
  })
  const ctx = testContext(config)
  const t = isolated(orders)
  const topic = t.definition.source.topics[0]!
  await createTopic(config, topic, 2)
  const first = await produceGenerated(ctx, t, topic, 3000, 0.05)
  const engine = new Engine({ config, topologies: [t], logger: quietLogger() })
  let failed: unknown
  await engine.start()
  engine.done.catch((err: unknown) => {
    failed = err
  })
  const ch = await ctx.clickhouse()
  try {
    await waitFor(
      'the first records in bronze',
      () => count(ch, t.tables.bronze!),
      (c) => c === first.produced,
    )
    await kafka.stop()
    // The outage itself: the broker stays down this long whatever the engine does (kafkajs gave up
    // after ~12 s before, and the engine exited).
    await new Promise((r) => setTimeout(r, 20_000))
    assert.equal(failed, undefined, 'the engine is still running while the broker is down')
    await kafka.start()
    const second = await produceGenerated(ctx, t, topic, 3000, 0.05, { from: first.produced })
    const n = first.produced + second.produced
    const duplicates = first.duplicates + second.duplicates
    // An epoch's tables land in parallel: wait for all of them, not bronze alone.
    await waitFor(
      'every record after recovery, in bronze and in silver or quarantine',
      async () => [
        await count(ch, t.tables.bronze!),
        (await count(ch, t.tables.silver!)) + (await count(ch, t.tables.quarantine)),
      ],
      ([bronze, sorted]) => bronze === n && sorted === n - duplicates,
      { timeoutMs: 120_000 },
    )
    assert.equal(failed, undefined)
    // External lag tools read the group's committed offsets: they must reach the end of the topic.
    const admin = new Kafka({ brokers: [brokers], logLevel: logLevel.NOTHING }).admin()
    await admin.connect()
    try {
      const ends = await admin.fetchTopicOffsets(topic)
      await waitFor(
        'Kafka commits at the end of every partition',
        async () =>
          (await admin.fetchOffsets({ groupId: `tributary-${t.name}`, topics: [topic] }))[0]!.partitions,
        (committed) =>
          ends.every((e) => committed.find((c) => c.partition === e.partition)?.offset === e.offset),
        { timeoutMs: 60_000 },
      )
    } finally {
      await admin.disconnect()
    }
  } finally {
    await engine.stop().catch(() => {})
    await ctx.close()
  }
})
