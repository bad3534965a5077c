// Real services: Kafka, Registry (Apicurio), Redis, ClickHouse 18.16 server. Garbage schema ids are
// rejected with one registry round trip per batch, and a version registered while the engine runs
// is read (issue 14, finding 7).
import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { orderSchema, sampleOrder } from '../../schemas/orders.ts'
import { sendAll } from '../../src/cli/commands/produce.ts'
import { Engine } from '../../src/runtime/engine.ts'
import { avroSerde } from '../../src/serde/avro-serde.ts'
import { bindFormat } from '../../src/serde/bind.ts'
import type { Topology } from '../../src/topology/define.ts'
import orders from '../../topologies/orders.ts'
import {
  createTopic,
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

function withSchemaId(id: number): Buffer {
  const b = Buffer.alloc(24, 0x17)
  b[0] = 0
  b.writeInt32BE(id, 1)
  return b
}

test('random schema ids go to quarantine and the DLQ naming the subject; a version registered while running is read', async () => {
  const t = isolated(orders as Topology)
  const topic = t.definition.source.topics[0]!
  const subject = t.definition.source.format.subject(topic)
  await createTopic(config, topic, 1)
  const serde = bindFormat(t.definition.source.format, ctx.registry())
  // Far above the ids this registry hands out, and distinct per run.
  const base = 1_500_000_000 + (process.pid % 10_000) * 1_000
  const messages = []
  for (let i = 0; i < 40; i++) {
    messages.push({ key: `v${i}`, value: await serde.encode(sampleOrder(i) as never, topic) })
    messages.push({ key: `g${i}`, value: withSchemaId(base + i) })
  }
  await sendAll(ctx, topic, messages)

  const engine = new Engine({ config, topologies: [t], logger: quietLogger() })
  await engine.start()
  let failed: unknown
  engine.done.catch((err) => {
    failed = err
  })
  const ch = await ctx.clickhouse()
  try {
    await waitForLayers(ch, t, [80, 40, 40], () => failed)
    const reasons = await ch.query<{ reason: string }>(
      `SELECT reason FROM ${t.tables.quarantine} FINAL ORDER BY _offset`,
    )
    reasons.forEach(({ reason }, i) => {
      assert.match(
        reason,
        new RegExp(`^UNKNOWN_SCHEMA_ID: schema id ${base + i} is not a version of subject ${subject}`),
      )
    })
    const dlq = await readTopic(config, t.deadLetterTopic, 40)
    assert.equal(dlq.length, 40)
    for (const m of dlq) assert.equal(m.headers['tributary.reason.code'], 'UNKNOWN_SCHEMA_ID')
    assert.match(
      await engine.metrics.text(),
      new RegExp(
        `tributary_dead_letters_total\\{[^}]*topology="${t.name}"[^}]*reason_code="UNKNOWN_SCHEMA_ID"[^}]*\\} 40`,
      ),
    )

    // A producer registers an older, compatible schema as a new version of the subject, then
    // writes with it: the engine has refreshed the subject before, and must find the new version.
    const older = { ...orderSchema, fields: orderSchema.fields.filter((f) => f.name !== 'coupon') }
    const olderSerde = avroSerde(older, ctx.registry())
    const later = []
    for (let i = 40; i < 45; i++) {
      const { coupon: _, ...rest } = sampleOrder(i)
      later.push({ key: `o${i}`, value: await olderSerde.encode(rest as never, topic) })
    }
    assert.notEqual(later[0]!.value.readInt32BE(1), messages[0]!.value.readInt32BE(1))
    await sendAll(ctx, topic, [...later, { key: 'g-last', value: withSchemaId(base + 999) }])
    await waitForLayers(ch, t, [86, 45, 41], () => failed)
    const [row] = await ch.query<{ n: string }>(
      `SELECT count() AS n FROM ${t.tables.silver} FINAL WHERE order_id IN ('ord-40', 'ord-44') AND coupon IS NULL`,
    )
    assert.equal(Number(row?.n), 2)
  } finally {
    await engine.stop()
  }
})
