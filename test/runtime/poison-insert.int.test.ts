// Real services: Kafka, Apicurio Registry, ClickHouse 18.16 server. A value the silver column cannot
// hold must not stop the topology (issue 12, finding 2).
import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { map } from 'rxjs'
import { produceGenerated, sendAll } from '../../src/cli/commands/produce.ts'
import { step } from '../../src/index.ts'
import type { Envelope } from '../../src/records/record.ts'
import { Engine } from '../../src/runtime/engine.ts'
import { avroType } from '../../src/serde/avro-types.ts'
import { defineTopology, type Topology } from '../../src/topology/define.ts'
import orders from '../../topologies/orders.ts'
import sensors from '../../topologies/sensor-readings.ts'
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

test('orders whose amount does not fit decimal(12, 2) go to quarantine with the field and offset; the others land', async () => {
  const t = isolated(orders as Topology)
  const other = isolated(sensors as Topology)
  const topic = t.definition.source.topics[0]!
  await createTopic(config, topic, 1)
  await createTopic(config, other.definition.source.topics[0]!, 1)
  const schema = t.definition.source.format.schema
  // A producer whose schema declares a wider decimal than the topology's: it resolves, but the
  // values it carries (more scale, more digits) do not fit the silver column.
  const wide = {
    ...schema,
    fields: schema.fields.map((f) =>
      f.name === 'amount'
        ? { ...f, type: { type: 'bytes', logicalType: 'decimal', precision: 20, scale: 4 } }
        : f,
    ),
  }
  const wideId = await ctx.registry().register(t.definition.source.format.subject(topic), wide)
  const wideBytes = (v: object) => {
    const header = Buffer.alloc(5)
    header.writeInt32BE(wideId, 1)
    return Buffer.concat([header, avroType(wide).toBuffer(v)])
  }
  const example = t.definition.examples!.valid
  const ok = (i: number) => wideBytes(example(i) as object)
  const messages = [
    ...Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: ok(i) })),
    { key: 'scale', value: wideBytes({ ...(example(10) as object), amount: 12.3456 }) },
    { key: 'digits', value: wideBytes({ ...(example(11) as object), amount: 123_456_789_012.5 }) },
    ...Array.from({ length: 10 }, (_, i) => ({ key: `k${i + 12}`, value: ok(i + 12) })),
  ]
  await sendAll(ctx, topic, messages)
  const engine = new Engine({ config, topologies: [t, other], logger: quietLogger() })
  await engine.start()
  let failed: unknown
  engine.done.catch((err) => {
    failed = err
  })
  const ch = await ctx.clickhouse()
  try {
    await waitForLayers(ch, t, [22, 20, 2], () => failed)
    const rows = await ch.query<{ reason: string; off: string }>(
      `SELECT reason, toString(_offset) AS off FROM ${t.tables.quarantine} FINAL ORDER BY _offset`,
    )
    assert.equal(rows.length, 2)
    assert.equal(rows[0]!.off, '10')
    assert.match(
      rows[0]!.reason,
      /^VALUE_OUT_OF_RANGE: .*amount.*12\.3456.*decimal\(12, ?2\).*2 digits after the point/i,
    )
    assert.match(
      rows[1]!.reason,
      /^VALUE_OUT_OF_RANGE: .*amount.*123456789012\.5.*10 digits before the point/i,
    )
    assert.equal(failed, undefined)
  } finally {
    await engine.stop()
  }
})

test('a silver row ClickHouse refuses at insert is found by splitting the block and quarantined; the rest of the block lands', async () => {
  const base = isolated(orders as Topology)
  // A transform the pre-insert checks cannot see past: it gives one order an amount with 4 decimals.
  const t = defineTopology(base.definition, {
    ...base.definition,
    transform: [
      step(
        'corrupt-one',
        map((e: Envelope<{ order_id: string }>) => {
          const v = e.value
          return v.order_id === 'ord-7' ? { ...e, value: { ...v, amount: 1.2345 } } : e
        }),
      ),
    ],
  } as never) as Topology
  const other = isolated(sensors as Topology)
  const topic = t.definition.source.topics[0]!
  await createTopic(config, topic, 1)
  await createTopic(config, other.definition.source.topics[0]!, 1)
  const summary = await produceGenerated(ctx, t, topic, 30, 0)
  const engine = new Engine({ config, topologies: [t, other], logger: quietLogger() })
  await engine.start()
  let failed: unknown
  engine.done.catch((err) => {
    failed = err
  })
  const ch = await ctx.clickhouse()
  try {
    await waitForLayers(ch, t, [summary.produced, 29, 1], () => failed)
    const [row] = await ch.query<{ reason: string; stage: string }>(
      `SELECT reason, stage FROM ${t.tables.quarantine} FINAL`,
    )
    assert.equal(row?.stage, 'load')
    // Silver rows are TabSeparated: 18.16 names the failing column in its row diagnostics for parse
    // errors, but gives none for a decimal's scale (JSONEachRow did); the server's words are kept.
    assert.match(
      row?.reason ?? '',
      /^INSERT_REFUSED: ClickHouse refused this row: (column amount: )?Decimal value is too small \(ClickHouse code 69\)$/,
    )
    const [dlq] = await readTopic(config, t.deadLetterTopic, 1)
    assert.equal(dlq?.headers['tributary.reason.code'], 'INSERT_REFUSED')
    assert.equal(failed, undefined)
  } finally {
    await engine.stop()
  }
})
