// Real services: Kafka, Registry, Redis, ClickHouse 18.16 server. One topology failing in an engine
// must not stop the others, and is restarted (issue 12, finding 3).
import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { Kafka, logLevel } from 'kafkajs'
import { map } from 'rxjs'
import { produceGenerated } from '../../src/cli/commands/produce.ts'
import { step } from '../../src/index.ts'
import { createLogger } from '../../src/observability/logger.ts'
import type { Envelope } from '../../src/records/record.ts'
import { Engine } from '../../src/runtime/engine.ts'
import { waitFor } from '../../src/testing/wait.ts'
import { defineTopology, type Topology } from '../../src/topology/define.ts'
import orders from '../../topologies/orders.ts'
import sensors from '../../topologies/sensor-readings.ts'
import { count, createTopic, isolated, testConfig, testContext } from '../support/engine.ts'

const config = testConfig()
const ctx = testContext(config)
after(() => ctx.close())

test('a failing topology is reported and restarted with backoff while the other keeps running; stopping leaves both groups at once', async () => {
  const base = isolated(orders as Topology)
  // Fails its first run (a bug that a restart gets past, e.g. a dependency that was down).
  let failures = 0
  const failing = defineTopology(base.definition, {
    ...base.definition,
    transform: [
      step(
        'flaky',
        map((e: Envelope<{ order_id: string }>) => {
          if (failures === 0) {
            failures++
            throw new Error('flaky dependency')
          }
          return e
        }),
      ),
    ],
  } as never) as Topology
  const healthy = isolated(sensors as Topology)
  for (const t of [failing, healthy]) await createTopic(config, t.definition.source.topics[0]!, 2)
  const a = await produceGenerated(ctx, failing, failing.definition.source.topics[0]!, 200, 0)
  const b = await produceGenerated(ctx, healthy, healthy.definition.source.topics[0]!, 500, 0)
  const engine = new Engine({
    config,
    topologies: [failing, healthy],
    logger: createLogger({ level: 'fatal' }),
  })
  await engine.start()
  let exited: unknown = 'running'
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
    await waitFor(
      'both topologies land everything',
      async () => [await count(ch, failing.tables.silver!), await count(ch, healthy.tables.silver!)],
      ([s1, s2]) => s1 === a.valid && s2 === b.valid,
      { timeoutMs: 90_000 },
    )
    assert.equal(failures, 1)
    assert.equal(exited, 'running')
    const text = await engine.metrics.text()
    assert.match(text, new RegExp(`tributary_topology_restarts_total\\{topology="${failing.name}"\\} 1`))
    assert.match(text, new RegExp(`tributary_topology_up\\{topology="${failing.name}"\\} 1`))
    assert.match(text, new RegExp(`tributary_topology_up\\{topology="${healthy.name}"\\} 1`))
    assert.ok(engine.runners.every((r) => r.ready))
  } finally {
    await engine.stop()
  }
  // Left, not timed out: the groups are empty as soon as stop returns.
  const admin = new Kafka({ brokers: [...config.kafka.brokers], logLevel: logLevel.NOTHING }).admin()
  await admin.connect()
  try {
    const { groups } = await admin.describeGroups([`tributary-${failing.name}`, `tributary-${healthy.name}`])
    for (const g of groups) assert.deepEqual([g.groupId, g.members.length], [g.groupId, 0])
  } finally {
    await admin.disconnect()
  }
})
