/**
 * `npm run chaos`: the real engine as a separate process over the real stack, killed with SIGKILL
 * at random moments and restarted each time, then checked against the ground truth. The engines
 * run the orders topology and, beside it, the customers change stream (a quarter as many changes
 * as events). Prints a JSON summary and exits non-zero unless nothing was lost, duplicated or wrong.
 *
 *   npm run chaos -- [--events 100000] [--kills 5] [--partitions 6] [--seed N] [--cluster | --chdb]
 *
 * `--cluster` (the stack up with `--cluster`): the engine writes to ClickHouse cluster
 * tributary_cluster, and replica ch-s1r1 is SIGKILLed during the first engine run and started
 * again during the second (or the same one, with a single kill).
 *
 * `--chdb`: the engine writes to chDB (embedded ClickHouse 26) in a fresh directory, each engine
 * process in turn; the harness reads it once the last engine exited.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { CliContext } from '../../src/cli/context.ts'
import { quietKnownWarnings } from '../../src/cli/main.ts'
import { loadConfig } from '../../src/config/config.ts'
import { clusterEndpointsFromEnv } from '../../src/config/endpoints.ts'
import { clusterEnv, holdCluster, runClusterChaos, StackService } from './cluster.ts'
import { random } from './dataset.ts'
import { finish, prepareChaos, progress, startEngine, verifyChaos, waitForProgress } from './harness.ts'

quietKnownWarnings()
const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '100000' },
    kills: { type: 'string', default: '5' },
    partitions: { type: 'string', default: '6' },
    seed: { type: 'string', default: String(Date.now() % 1_000_000) },
    cluster: { type: 'boolean', default: false },
    chdb: { type: 'boolean', default: false },
  },
})
/** What the engines and the harness's reads point at, instead of the stack's single server. */
const targetEnv = values.cluster
  ? clusterEnv()
  : values.chdb
    ? { TRIBUTARY_CLICKHOUSE_URL: `chdb://${mkdtempSync(path.join(tmpdir(), 'tributary-chaos-chdb-'))}` }
    : undefined
const replica = new StackService('ch-s1r1')
const events = Number(values.events)
const kills = Number(values.kills)
const seed = Number(values.seed)
const started = Date.now()
const ctx = new CliContext(loadConfig({ env: { ...process.env, ...targetEnv } }))
try {
  const run = await prepareChaos(
    ctx,
    {
      events,
      partitions: Number(values.partitions),
      duplicateRatio: 0.02,
      invalidRatio: 0.01,
      seed,
    },
    targetEnv,
    values.cluster ? 0 : 1, // the cluster chaos streams the dataset in while it runs
  )
  const produced = Date.now()
  console.error(
    `chaos: ${values.cluster ? 'streaming' : 'produced'} ${run.data.messages.length} messages to ${run.topology.name} and ${run.changes.data.messages.length} changes to ${run.changes.topology.name} (seed ${seed})`,
  )
  if (values.cluster) {
    const replicaUrl = clusterEndpointsFromEnv().clickhouseShards[0]![0]!
    const release = await holdCluster()
    try {
      await runClusterChaos(run, { kills, seed, replica, replicaUrl, log: (l) => console.error(l) })
    } finally {
      release()
    }
  } else {
    // Each kill lands after a random amount of progress: the first after 1..(changes / 2) more
    // change bronze rows (the change stream is the lighter one: the engine reads all of it before
    // the orders' first step), the others after 1..(events / kills / 2) more order bronze rows.
    const next = random(seed + 1) // its own stream, so the kill points do not shift the dataset
    for (let kill = 1; kill <= kills; kill++) {
      const engine = startEngine(run)
      const what = `engine run ${kill} to progress`
      if (kill === 1)
        await waitForProgress(run, Math.floor((next() * run.changes.data.messages.length) / 2), what, {
          of: run.changes.topology,
        })
      else await waitForProgress(run, Math.floor(next() * (events / kills / 2)), what)
      engine.child.kill('SIGKILL')
      const { signal } = await engine.exited
      // On chDB, whose directory is the engines' while they run, progress is committed offsets.
      const unit = values.chdb ? 'committed offsets' : 'bronze rows'
      const at = `${await progress(run)} order and ${await progress(run, run.changes.topology)} change ${unit}`
      console.error(`chaos: kill ${kill}/${kills}: ${signal} at ${at}`)
    }
    await finish(run)
  }
  const summary = {
    ...(await verifyChaos(run, seed)),
    kills,
    ...(targetEnv && 'TRIBUTARY_CLICKHOUSE_SHARDS' in targetEnv
      ? { cluster: targetEnv.TRIBUTARY_CLICKHOUSE_SHARDS, replicaKilled: replica.name }
      : {}),
    ...(targetEnv && 'TRIBUTARY_CLICKHOUSE_URL' in targetEnv
      ? { clickhouse: targetEnv.TRIBUTARY_CLICKHOUSE_URL }
      : {}),
    produceSeconds: (produced - started) / 1000,
    runSeconds: (Date.now() - produced) / 1000,
  }
  console.log(JSON.stringify(summary, null, 2))
  process.exitCode = summary.lost === 0 && summary.duplicated === 0 && summary.mismatched === 0 ? 0 : 1
} finally {
  await ctx.close()
}
