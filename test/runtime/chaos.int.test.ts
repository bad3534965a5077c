// Real services: Kafka, Schema Registry (Apicurio), Redis (shared, and a private one this test
// restarts), ClickHouse 18.16 server. The engine runs as separate OS processes.
import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import {
  bronzeRows,
  type ChaosRun,
  type ChaosSummary,
  finish,
  prepareChaos,
  produceRest,
  startEngine,
  verifyChaos,
  waitForProgress,
} from '../../scripts/chaos/harness.ts'
import { CliContext } from '../../src/cli/context.ts'
import type { EngineProcess } from '../../src/testing/engine-process.ts'
import { waitFor } from '../../src/testing/wait.ts'
import { testConfig } from '../support/engine.ts'
import { PrivateService } from '../support/private-service.ts'

const ctx = new CliContext(testConfig())
const engines: EngineProcess[] = []
/** Engines still running when a test fails are killed, or the test process would never exit. */
const track = (e: EngineProcess) => {
  engines.push(e)
  return e
}
after(async () => {
  for (const e of engines) e.child.kill('SIGKILL')
  await ctx.close()
})

const dataset = (seed: number) => ({
  events: 15_000,
  partitions: 4,
  duplicateRatio: 0.02,
  invalidRatio: 0.01,
  seed,
})

function assertExact(s: ChaosSummary): void {
  assert.deepEqual(
    { lost: s.lost, duplicated: s.duplicated, mismatched: s.mismatched },
    { lost: 0, duplicated: 0, mismatched: 0 },
    JSON.stringify(s, null, 2),
  )
  // What users see with plain queries, and a read_committed reader of the DLQ.
  assert.equal(s.plain.exact, true, JSON.stringify(s.plain, null, 2))
  assert.equal(s.bronze.actual, s.produced)
  assert.ok(s.goldWindows.expected > 10 && s.goldSessions.expected > 10, 'the dataset exercises both golds')
  const c = s.changes
  assert.ok(
    c.tombstones > 10 && c.deletes >= c.tombstones && c.replayed > 10 && c.invalid > 10,
    'the change stream exercises deletes, tombstones, replays and invalid changes',
  )
  assert.ok(s.plain.changes.current.expected > 100, 'the change stream leaves live keys')
}

/** The engine's log lines about the orders topology (it also runs the change stream, in its own group). */
const ordersLog = (e: EngineProcess, run: ChaosRun) =>
  e
    .output()
    .split('\n')
    .filter((line) => line.includes(`"topology":"${run.topology.name}"`))
    .join('\n')

/** The engine's most recent "assigned N partitions" log line for the orders. */
const lastAssignment = (e: EngineProcess, run: ChaosRun) =>
  ordersLog(e, run)
    .match(/assigned \d+ partitions/g)
    ?.at(-1) ?? ''

/** Every produced record and change is in bronze (after FINAL): the engine has caught up. */
async function caughtUp(run: ChaosRun): Promise<void> {
  const ch = await run.ctx.clickhouse()
  const rows = async (table: string | undefined) =>
    Number((await ch.query<{ c: string }>(`SELECT count() AS c FROM ${table} FINAL`))[0]?.c)
  await waitFor(
    'bronze to hold every produced record and change',
    async () => [await rows(run.topology.tables.bronze), await rows(run.changes.topology.tables.bronze)],
    ([orders, changes]) =>
      orders === run.data.messages.length && changes === run.changes.data.messages.length,
    { timeoutMs: 180_000, everyMs: 250 },
  )
}

test('SIGKILL three times mid-run: gold equals the ground truth, silver has no duplicate, bronze = produced', async () => {
  const run = await prepareChaos(ctx, dataset(11))
  for (let kill = 1; kill <= 3; kill++) {
    const engine = track(startEngine(run))
    // The first kill lands mid-way through the change stream, the others mid-way through the orders.
    const of = kill === 1 ? run.changes.topology : run.topology
    await waitForProgress(run, 500 * kill, `engine run ${kill} to progress`, { of })
    engine.child.kill('SIGKILL')
    assert.equal((await engine.exited).signal, 'SIGKILL')
  }
  await finish(run)
  assertExact(await verifyChaos(run, 11))
})

test('two engines in one group, one stops mid-run: its partitions and their state move to the other', async () => {
  const run = await prepareChaos(ctx, dataset(12), {}, 0.3)
  const info = { TRIBUTARY_LOG_LEVEL: 'info' }
  const a = track(startEngine(run, [], info))
  const b = track(startEngine(run, [], info))
  // Each holds some of the four partitions: the group has rebalanced to two members.
  const shared = () => [a, b].every((e) => /assigned [1-3] partitions/.test(lastAssignment(e, run)))
  await waitFor(
    'both members to hold partitions',
    async () => shared(),
    (ok) => ok,
  )
  await produceRest(run)
  await waitForProgress(run, 1000, 'the two members to consume the rest')
  assert.ok((await bronzeRows(run)) < run.data.messages.length, 'B must stop mid-run')
  b.child.kill('SIGTERM')
  assert.equal((await b.exited).code, 0, b.output())
  await caughtUp(run)
  a.child.kill('SIGTERM')
  assert.equal((await a.exited).code, 0, a.output())
  assertExact(await verifyChaos(run, 12))
})

test('Redis restarted mid-run (AOF on) loses no state', async () => {
  const redis = new PrivateService('redis', 3100)
  await redis.start()
  try {
    const run = await prepareChaos(ctx, dataset(13), {
      TRIBUTARY_REDIS_URL: `redis://127.0.0.1:${6379 + redis.offset}`,
    })
    const engine = track(startEngine(run))
    await waitForProgress(run, 2000, 'the engine to progress')
    assert.ok((await bronzeRows(run)) < run.data.messages.length, 'Redis must go down mid-run')
    await redis.stop()
    await redis.start()
    await caughtUp(run)
    engine.child.kill('SIGTERM')
    assert.equal((await engine.exited).code, 0, engine.output())
    // A restart after it must resume from the state Redis kept: rerun, then check nothing doubled.
    await finish(run)
    assertExact(await verifyChaos(run, 13))
  } finally {
    await redis.stop(true)
  }
})

test('a zombie: one engine paused past its session while another takes its partitions, then resumed, lands nothing stale', async () => {
  const run = await prepareChaos(ctx, dataset(14), {}, 0.5)
  const session = { TRIBUTARY_SOURCE_SESSION_TIMEOUT_MS: '6000', TRIBUTARY_LOG_LEVEL: 'info' }
  const a = track(startEngine(run, [], session))
  await waitForProgress(run, 500, 'the first engine to progress')
  await produceRest(run)
  // Paused with records read and not yet checkpointed, as a long GC pause or a frozen VM would.
  a.child.kill('SIGSTOP')
  const b = track(startEngine(run, [], session))
  await waitFor(
    'the second engine to own every partition (the first one timed out of the group)',
    async () => lastAssignment(b, run),
    (line) => line === 'assigned 4 partitions',
    { timeoutMs: 60_000 },
  )
  await caughtUp(run)
  a.child.kill('SIGCONT')
  // Whatever the resumed member tries for partitions it lost is fenced: it writes nothing, and
  // stops (or rejoins) rather than commit.
  await waitFor(
    'the resumed engine to notice it lost its partitions',
    async () => ordersLog(a, run),
    (out) =>
      /STATE_FENCED|another member owns it now|assigned \d+ partitions[\s\S]*assigned \d+ partitions/.test(
        out,
      ),
    { timeoutMs: 60_000 },
  )
  a.child.kill('SIGTERM')
  await a.exited
  b.child.kill('SIGTERM')
  assert.equal((await b.exited).code, 0, b.output())
  await finish(run)
  assertExact(await verifyChaos(run, 14))
})
