// Real services: Kafka, Registry, Redis, ClickHouse 18.16 server. Text must not change silently on
// its way to silver (issue 12, finding 5).
import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { sendAll } from '../../src/cli/commands/produce.ts'
import { Engine } from '../../src/runtime/engine.ts'
import { bindFormat } from '../../src/serde/bind.ts'
import { waitFor } from '../../src/testing/wait.ts'
import type { Topology } from '../../src/topology/define.ts'
import orders from '../../topologies/orders.ts'
import sensors from '../../topologies/sensor-readings.ts'
import { count, createTopic, isolated, quietLogger, testConfig, testContext } from '../support/engine.ts'

const config = testConfig()
const ctx = testContext(config)
after(() => ctx.close())

test('invalid UTF-8 in a string field (JSON and Avro) and a duplicate JSON key are quarantined, never silently changed', async () => {
  const j = isolated(sensors as Topology)
  const a = isolated(orders as Topology)
  const jTopic = j.definition.source.topics[0]!
  const aTopic = a.definition.source.topics[0]!
  await createTopic(config, jTopic, 1)
  await createTopic(config, aTopic, 1)

  const reading = (i: number) => JSON.stringify(j.definition.examples!.valid(i))
  const badUtf8 = Buffer.from(
    reading(5)
      .replace('"lisbon"', '"lis__bon"')
      .replace('"porto"', '"por__to"')
      .replace('"faro"', '"fa__ro"'),
  )
  const at = badUtf8.indexOf('__')
  badUtf8[at] = 0xff
  badUtf8[at + 1] = 0xfe
  const duplicate = `${reading(6).slice(0, -1)},"temperature":20}`
  await sendAll(ctx, jTopic, [
    ...Array.from({ length: 5 }, (_, i) => ({ key: `k${i}`, value: Buffer.from(reading(i)) })),
    { key: 'utf8', value: badUtf8 },
    { key: 'dup', value: Buffer.from(duplicate) },
    ...Array.from({ length: 5 }, (_, i) => ({ key: `k${i + 7}`, value: Buffer.from(reading(i + 7)) })),
  ])

  const serde = bindFormat(a.definition.source.format, ctx.registry())
  const order = (i: number) => serde.encode(a.definition.examples!.valid(i) as never, aTopic)
  const badOrder = await serde.encode(
    { ...(a.definition.examples!.valid(5) as object), customer_id: 'cust-XXXX' } as never,
    aTopic,
  )
  const x = badOrder.indexOf('XXXX')
  badOrder.set([0x63, 0xc3, 0x28, 0xa0], x) // 0xc3 0x28: a lead byte without its continuation
  const aMessages = []
  for (let i = 0; i < 5; i++) aMessages.push({ key: `k${i}`, value: await order(i) })
  aMessages.push({ key: 'utf8', value: badOrder })
  for (let i = 6; i < 10; i++) aMessages.push({ key: `k${i}`, value: await order(i) })
  await sendAll(ctx, aTopic, aMessages)

  const engine = new Engine({ config, topologies: [j, a], logger: quietLogger() })
  await engine.start()
  const ch = await ctx.clickhouse()
  try {
    await waitFor(
      'every record in bronze; silver + quarantine = bronze',
      async () => [
        await count(ch, j.tables.bronze!),
        await count(ch, j.tables.silver!),
        await count(ch, j.tables.quarantine),
        await count(ch, a.tables.bronze!),
        await count(ch, a.tables.silver!),
        await count(ch, a.tables.quarantine),
      ],
      ([jb, js, jq, ab, as, aq]) => jb === 12 && js! + jq! === 12 && ab === 10 && as! + aq! === 10,
    )
    const reasons = async (table: string) =>
      (await ch.query<{ reason: string }>(`SELECT reason FROM ${table} FINAL ORDER BY _offset`)).map(
        (r) => r.reason,
      )
    const jr = await reasons(j.tables.quarantine)
    assert.equal(jr.length, 2, JSON.stringify(jr))
    assert.match(jr[0]!, /^INVALID_UTF8: .*byte \d+/)
    assert.match(jr[1]!, /^JSON_DUPLICATE_KEY: .*"temperature"/)
    const ar = await reasons(a.tables.quarantine)
    assert.equal(ar.length, 1, JSON.stringify(ar))
    assert.match(ar[0]!, /^INVALID_UTF8: .*customer_id/)
    const silver = await ch.query<{ c: string }>(
      `SELECT count() AS c FROM ${a.tables.silver} FINAL WHERE position(customer_id, '\\xEF\\xBF\\xBD') > 0`,
    )
    assert.equal(Number(silver[0]?.c), 0)
  } finally {
    await engine.stop()
  }
})
