// Real services: Kafka, Redis, ClickHouse 18.16 server. One absurd event time must not move the
// watermark and send every later record of its partition to late (issue 12, finding 4).
import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { sendAll } from '../../src/cli/commands/produce.ts'
import { Engine } from '../../src/runtime/engine.ts'
import type { Topology } from '../../src/topology/define.ts'
import orders from '../../topologies/orders.ts'
import sensors from '../../topologies/sensor-readings.ts'
import {
  count,
  createTopic,
  isolated,
  quietLogger,
  testConfig,
  testContext,
  waitForLayers,
} from '../support/engine.ts'

const config = testConfig()
const ctx = testContext(config)
after(() => ctx.close())

test('a record with an event time in year 9999 is quarantined with a reason; the watermark and gold are untouched', async () => {
  const t = isolated(sensors as Topology)
  const other = isolated(orders as Topology)
  const topic = t.definition.source.topics[0]!
  await createTopic(config, topic, 1)
  await createTopic(config, other.definition.source.topics[0]!, 1)
  const reading = (i: number, eventTime?: number) => {
    const r = t.definition.examples!.valid(i) as Record<string, unknown>
    return {
      key: `k${i}`,
      value: Buffer.from(JSON.stringify({ ...r, ...(eventTime ? { event_time: eventTime } : {}) })),
    }
  }
  await sendAll(ctx, topic, [
    ...Array.from({ length: 10 }, (_, i) => reading(i)),
    reading(10, Date.UTC(9999, 11, 31)),
    ...Array.from({ length: 15 }, (_, i) => reading(i + 11)),
  ])
  const engine = new Engine({ config, topologies: [t, other], logger: quietLogger() })
  await engine.start()
  let failed: unknown
  engine.done.catch((err) => {
    failed = err
  })
  const ch = await ctx.clickhouse()
  try {
    await waitForLayers(ch, t, [26, 25, 1], () => failed)
    assert.equal(await count(ch, t.tables.late!), 0)
    const [row] = await ch.query<{ reason: string; off: string }>(
      `SELECT reason, toString(_offset) AS off FROM ${t.tables.quarantine} FINAL`,
    )
    assert.equal(row?.off, '10')
    assert.match(row?.reason ?? '', /^EVENT_TIME_OUT_OF_BOUNDS: .*9999-12-31.*eventTimeBounds\.future/)
  } finally {
    await engine.stop()
  }
})
