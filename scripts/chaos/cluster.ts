/**
 * The cluster chaos (`npm run chaos -- --cluster`): the engine writes to the stack's ClickHouse
 * cluster (2 shards x 2 replicas), and one replica is SIGKILLed and started again mid-run with
 * scripts/stack/service.sh, as a crashed server comes back.
 */
import { execFile } from 'node:child_process'
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { promisify } from 'node:util'
import type { ClickHouse } from '../../src/clickhouse/client.ts'
import { localTableName } from '../../src/clickhouse/cluster.ts'
import { clusterEndpointsFromEnv, STACK_CLUSTER } from '../../src/config/endpoints.ts'
import { goldPartialsTable } from '../../src/sinks/clickhouse/gold.ts'
import { waitFor } from '../../src/testing/wait.ts'
import type { AnyTopology } from '../../src/topology/define.ts'
import { random } from './dataset.ts'
import { bronzeRows, type ChaosRun, finish, produceRest, startEngine } from './harness.ts'

const run = promisify(execFile)
const repo = path.resolve(import.meta.dirname, '../..')

/**
 * The configuration that points the engine at the stack's cluster. For the chaos, the shortest
 * session the broker allows too: a SIGKILLed member's partitions move on after 6 s, not 30 s, so
 * each run starts consuming while the stream still flows.
 */
export function clusterEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  return {
    TRIBUTARY_CLICKHOUSE_CLUSTER: STACK_CLUSTER.name,
    TRIBUTARY_CLICKHOUSE_SHARDS: clusterEndpointsFromEnv(env)
      .clickhouseShards.map((replicas) => replicas.join(','))
      .join(';'),
    TRIBUTARY_SOURCE_SESSION_TIMEOUT_MS: '6000',
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

function stackDir(): string {
  return process.env.TRIBUTARY_STACK_DIR ?? path.join(repo, '.stack')
}

/**
 * Takes the stack's cluster lock; call the function returned to release it. Test files run in
 * parallel: one that takes a cluster server down must not overlap another that does, or that needs
 * every server up (`ON CLUSTER` DDL waits for all of them).
 */
export async function holdCluster(): Promise<() => void> {
  const lock = path.join(stackDir(), 'run', 'cluster-exclusive.lock')
  await waitFor(
    `the cluster lock ${lock}`,
    async () => tryLock(lock),
    (held) => held,
    { timeoutMs: 600_000, everyMs: 200 },
  )
  return () => rmSync(lock, { force: true })
}

/** Takes the lock file, or frees it when its holder died without releasing it. */
function tryLock(lock: string): boolean {
  try {
    writeFileSync(lock, String(process.pid), { flag: 'wx' })
    return true
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    const holder = Number(readFileSync(lock, 'utf8'))
    if (holder > 0 && !alive(holder)) rmSync(lock, { force: true })
    return false
  }
}

/** A server the stack started (e.g. `ch-s1r1`), to kill as a crash does and start again. */
export class StackService {
  readonly name: string

  constructor(name: string) {
    this.name = name
  }

  /** SIGKILLs it and waits until the process is gone. */
  async kill(): Promise<void> {
    const pid = Number(readFileSync(path.join(stackDir(), 'run', `${this.name}.pid`), 'utf8').split(' ')[0])
    if (!(pid > 0 && alive(pid))) throw new Error(`${this.name} does not run (pid ${pid})`)
    process.kill(pid, 'SIGKILL')
    await waitFor(
      `${this.name} (pid ${pid}) to exit`,
      async () => alive(pid),
      (up) => !up,
      { timeoutMs: 30_000, everyMs: 50 },
    )
  }

  /** Starts it again; returns once the stack reports it healthy. */
  async start(): Promise<void> {
    await run('bash', [path.join(repo, 'scripts/stack/service.sh'), 'start', this.name])
  }
}

/**
 * Waits until the replica at `url` has fetched every block of `topology`'s tables its shard's other
 * replicas took (while it was away, or just now), so reads that pick it see all of them.
 */
export async function syncReplica(ch: ClickHouse, topology: AnyTopology, url: string): Promise<void> {
  const t = topology.tables
  const f = await ch.features()
  const tables = [
    ...[t.bronze, t.silver, t.quarantine, t.late].filter((x) => x !== undefined),
    ...(topology.definition.gold ?? []).map((g) => goldPartialsTable(g, f).name),
  ]
  for (const table of tables) {
    const res = await fetch(url, {
      method: 'POST',
      body: `SYSTEM SYNC REPLICA ${localTableName(table)}`,
      signal: AbortSignal.timeout(300_000),
    })
    if (!res.ok) throw new Error(`SYSTEM SYNC REPLICA ${table} on ${url}: ${await res.text()}`)
  }
}

export interface ClusterChaosOptions {
  readonly kills: number
  readonly seed: number
  readonly replica: StackService
  /** Where the replica serves HTTP, to wait for it to catch up before verifying. */
  readonly replicaUrl: string
  readonly log?: (line: string) => void
}

/**
 * The held messages, produced in `chunks` pieces, one every `paceMs` (a rate, as a live topic has):
 * the engine keeps up with the stream, so each kill lands mid-run with more to come, and every
 * partition keeps receiving records (none goes idle, which would make gold windows close at a
 * processing-time moment a replay cannot repeat).
 */
function stream(chaos: ChaosRun, chunks: number, paceMs: number) {
  const size = Math.ceil(chaos.held.length / chunks)
  let finished = false
  const done = (async () => {
    while (chaos.held.length > 0) {
      await produceRest(chaos, size)
      if (chaos.held.length > 0) await new Promise((r) => setTimeout(r, paceMs))
    }
    finished = true
  })()
  return { done, finished: () => finished }
}

/**
 * The engine runs `kills` times and is SIGKILLed after a random amount of progress each time,
 * while the dataset streams in; replica `replica` is SIGKILLed during the first run, after some
 * progress, and started again during the second (the first, with one kill), after progress made
 * without it. Then the rest of the stream, a last run to the end, and the replica caught up,
 * ready for `verifyChaos`. Expects `prepareChaos` to have held back the whole dataset (share 0).
 */
export async function runClusterChaos(chaos: ChaosRun, opts: ClusterChaosOptions): Promise<void> {
  const { kills, replica } = opts
  const log = opts.log ?? (() => {})
  const next = random(opts.seed + 1) // its own stream, so the kill points do not shift the dataset
  const total = chaos.held.length
  const source = stream(chaos, kills * 30, 400)
  // Rows acknowledged only by the dead replica are out of sight until it is back, so progress is
  // new rows; once the stream has ended there may be none left to see.
  const progress = async (what: string) => {
    const before = await bronzeRows(chaos)
    const step = 1 + Math.floor((next() * total) / kills / 4)
    await waitFor(
      what,
      async () => ({ rows: await bronzeRows(chaos), ended: source.finished() }),
      (p) => p.rows >= before + step || p.ended,
      { timeoutMs: 120_000, everyMs: 50 },
    )
  }
  const at = async () =>
    `${await bronzeRows(chaos)} bronze rows in sight, ${chaos.held.length} records still to produce`
  let down = false
  try {
    for (let kill = 1; kill <= kills; kill++) {
      const engine = startEngine(chaos)
      try {
        await progress(`engine run ${kill} to progress`)
        if (kill === 1) {
          await replica.kill()
          down = true
          log(`chaos: ${replica.name} SIGKILLed at ${await at()}`)
        }
        if (kill === Math.min(2, kills)) {
          await progress(`engine run ${kill} to progress without ${replica.name}`)
          await replica.start()
          down = false
          log(`chaos: ${replica.name} restarted at ${await at()}`)
        }
      } finally {
        engine.child.kill('SIGKILL')
      }
      const { signal } = await engine.exited
      log(`chaos: kill ${kill}/${kills}: ${signal} at ${await at()}`)
    }
  } finally {
    await source.done
    // A failed run leaves the stack as it found it.
    if (down) await replica.start()
  }
  await finish(chaos)
  for (const topology of [chaos.topology, chaos.changes.topology])
    await syncReplica(await chaos.ctx.clickhouse(), topology, opts.replicaUrl)
}
