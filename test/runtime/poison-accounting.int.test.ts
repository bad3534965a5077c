// Real services: Kafka, Registry, Redis, ClickHouse 18.16 server. Two topologies in one engine while
// poison records flow: accounting stays exact, the engine never stops, and every reason reads as a
// sentence (issue 12: accounting, finding 7).
import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { produceGenerated, sendAll } from '../../src/cli/commands/produce.ts'
import { Engine } from '../../src/runtime/engine.ts'
import { waitFor } from '../../src/testing/wait.ts'
import type { Topology } from '../../src/topology/define.ts'
import orders from '../../topologies/orders.ts'
import sensors from '../../topologies/sensor-readings.ts'
import { count, createTopic, isolated, quietLogger, testConfig, testContext } from '../support/engine.ts'

const config = testConfig()
const ctx = testContext(config)
after(() => ctx.close())

const JS_INTERNALS =
  /Cannot read properties|of undefined|is not a function|TypeError|RangeError|[\uFEFF\u200B]/

test('two topologies, bad input of every kind flowing: produced = bronze = silver + quarantine + duplicates, reasons readable', async () => {
  const j = isolated(sensors as Topology)
  const a = isolated(orders as Topology)
  for (const t of [j, a]) await createTopic(config, t.definition.source.topics[0]!, 3)
  const jTopic = j.definition.source.topics[0]!
  const poison = [
    Buffer.concat([
      Buffer.from([0xef, 0xbb, 0xbf]),
      Buffer.from(JSON.stringify(j.definition.examples!.valid(1))),
    ]),
    Buffer.from(
      JSON.stringify({ ...(j.definition.examples!.valid(2) as object), event_time: Date.UTC(9999, 0, 1) }),
    ),
    Buffer.from(`${JSON.stringify(j.definition.examples!.valid(3)).slice(0, -1)},"site":"porto"}`),
    Buffer.concat([Buffer.from('{"reading_id":"x'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]),
  ]
  await sendAll(
    ctx,
    jTopic,
    poison.map((value, i) => ({ key: `poison-${i}`, value })),
  )
  const js = await produceGenerated(ctx, j, jTopic, 1500, 0.05, { duplicateRatio: 0.02, from: 100 })
  const as = await produceGenerated(ctx, a, a.definition.source.topics[0]!, 1500, 0.05, {
    duplicateRatio: 0.02,
  })
  const engine = new Engine({ config, topologies: [j, a], logger: quietLogger() })
  await engine.start()
  let exited: unknown
  engine.done.then(
    () => {
      exited = 'stopped'
    },
    (err) => {
      exited = err
    },
  )
  const ch = await ctx.clickhouse()
  try {
    for (const [t, s, extra] of [
      [j, js, poison.length],
      [a, as, 0],
    ] as const) {
      const produced = s.produced + extra
      await waitFor(
        `${t.name}: bronze = produced, silver + quarantine + duplicates = produced`,
        async () => [
          await count(ch, t.tables.bronze!),
          await count(ch, t.tables.silver!),
          await count(ch, t.tables.quarantine),
        ],
        ([b, sv, q]) => b === produced && sv! + q! + s.duplicates === produced,
        { timeoutMs: 90_000 },
      )
      assert.equal(await count(ch, t.tables.silver!), s.valid)
      const reasons = await ch.query<{ reason: string }>(`SELECT reason FROM ${t.tables.quarantine} FINAL`)
      assert.equal(reasons.length, produced - s.valid - s.duplicates)
      for (const { reason } of reasons) {
        assert.match(reason, /^[A-Z0-9_]+: \S/, reason)
        assert.doesNotMatch(reason, JS_INTERNALS, reason)
        assert.ok(![...reason].some((c) => c.charCodeAt(0) < 0x20), reason)
      }
    }
    const codes = await ch.query<{ code: string }>(
      `SELECT DISTINCT substring(reason, 1, position(reason, ':') - 1) AS code FROM ${j.tables.quarantine} FINAL WHERE _key LIKE 'poison-%'`,
    )
    assert.deepEqual(codes.map((c) => c.code).sort(), [
      'EVENT_TIME_OUT_OF_BOUNDS',
      'INVALID_UTF8',
      'JSON_DUPLICATE_KEY',
      'JSON_PARSE_FAILED',
    ])
    assert.equal(exited, undefined)
  } finally {
    await engine.stop()
  }
})
