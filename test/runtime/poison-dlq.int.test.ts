// Real services: Kafka, ClickHouse 18.16 server. A reject the dead-letter topic cannot take must not
// stop the topology (issue 12, finding 1).
import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { Kafka, logLevel } from 'kafkajs'
import { sendAll } from '../../src/cli/commands/produce.ts'
import { Engine } from '../../src/runtime/engine.ts'
import type { Topology } from '../../src/topology/define.ts'
import orders from '../../topologies/orders.ts'
import sensors from '../../topologies/sensor-readings.ts'
import {
  isolated,
  quietLogger,
  readTopic,
  testConfig,
  testContext,
  waitForLayers,
} from '../support/engine.ts'

const config = testConfig()
const ctx = testContext(config)
after(() => ctx.close())

async function createTopicWith(topic: string, maxMessageBytes: number): Promise<void> {
  const admin = new Kafka({ brokers: [...config.kafka.brokers], logLevel: logLevel.NOTHING }).admin()
  await admin.connect()
  try {
    await admin.createTopics({
      topics: [
        {
          topic,
          numPartitions: 1,
          configEntries: [{ name: 'max.message.bytes', value: String(maxMessageBytes) }],
        },
      ],
      waitForLeaders: true,
    })
  } finally {
    await admin.disconnect()
  }
}

function readings(t: Topology, from: number, n: number) {
  return Array.from({ length: n }, (_, i) => ({
    key: `k-${from + i}`,
    value: Buffer.from(JSON.stringify(t.definition.examples!.valid(from + i))),
  }))
}

/** Both example topologies in one engine; `poisoned` gets the big reject between valid records. */
async function runWithPoison(poison: Buffer, opts: { sourceMaxBytes: number; dlqMaxBytes?: number }) {
  const t = isolated(sensors as Topology)
  const other = isolated(orders as Topology)
  const topic = t.definition.source.topics[0]!
  await createTopicWith(topic, opts.sourceMaxBytes)
  await createTopicWith(other.definition.source.topics[0]!, 1024 * 1024)
  if (opts.dlqMaxBytes !== undefined) await createTopicWith(t.deadLetterTopic, opts.dlqMaxBytes)
  await sendAll(ctx, topic, [...readings(t, 0, 20), { key: 'poison', value: poison }, ...readings(t, 20, 20)])
  const engine = new Engine({ config, topologies: [t, other], logger: quietLogger() })
  await engine.start()
  let failed: unknown
  engine.done.catch((err) => {
    failed = err
  })
  return { t, engine, failed: () => failed }
}

test('a reject larger than the broker default reaches the DLQ whole: the DLQ accepts what its source accepts', async () => {
  const poison = Buffer.alloc(1_500_000, 0x41)
  const { t, engine, failed } = await runWithPoison(poison, { sourceMaxBytes: 4 * 1024 * 1024 })
  const ch = await ctx.clickhouse()
  try {
    await waitForLayers(ch, t, [41, 40, 1], failed)
    const [dlq] = await readTopic(config, t.deadLetterTopic, 1)
    assert.equal(dlq?.value?.length, poison.length)
    assert.equal(dlq?.headers['tributary.reason.code'], 'OVERSIZED_PAYLOAD')
    assert.equal(dlq?.headers['tributary.truncated'], undefined)
    assert.equal(failed(), undefined)
    assert.ok(engine.runners.every((r) => r.ready))
  } finally {
    await engine.stop()
  }
})

test('a reject a pre-existing DLQ cannot take is sent truncated, saying so; quarantine keeps every byte', async () => {
  const poison = Buffer.alloc(400_000, 0x42)
  const { t, engine, failed } = await runWithPoison(poison, {
    sourceMaxBytes: 1024 * 1024,
    dlqMaxBytes: 100_000,
  })
  const ch = await ctx.clickhouse()
  try {
    await waitForLayers(ch, t, [41, 40, 1], failed)
    const [row] = await ch.query<{ n: string }>(
      `SELECT length(_value) AS n FROM ${t.tables.quarantine} FINAL`,
    )
    assert.equal(Number(row?.n), poison.length)
    const [dlq] = await readTopic(config, t.deadLetterTopic, 1)
    assert.ok(dlq?.value && dlq.value.length < 100_000, `DLQ value of ${dlq?.value?.length} bytes`)
    assert.deepEqual(dlq.value, poison.subarray(0, dlq.value.length))
    assert.equal(dlq.headers['tributary.truncated'], String(poison.length))
    assert.equal(dlq.headers['tributary.source.offset'], '20')
    assert.equal(failed(), undefined)
  } finally {
    await engine.stop()
  }
})
