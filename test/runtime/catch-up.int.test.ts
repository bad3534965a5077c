// Real services: Kafka, Schema Registry (Apicurio), Redis, ClickHouse 18.16 server; the engine as a
// separate OS process with the default settings. `npm run catch-up` is the same at 1M orders.
import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { catchUp } from '../../scripts/catch-up/catch-up.ts'
import { CliContext } from '../../src/cli/context.ts'
import { testConfig } from '../support/engine.ts'

const ctx = new CliContext(testConfig())
after(() => ctx.close())

test('a backlog produced first, caught up with the default settings: every table and gold row equals the truth', async () => {
  const r = await catchUp(ctx, { events: 20_000, partitions: 6, seed: 20, idleMs: 3000 })
  assert.equal(r.exact, true, JSON.stringify(r.summary, null, 2))
  assert.equal(r.summary.late.actual, 0)
  assert.ok(r.summary.goldWindows.expected > 10 && r.summary.goldSessions.expected > 10)
})
