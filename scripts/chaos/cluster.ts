/**
 * The cluster chaos (`npm run chaos -- --cluster`): the engine writes to the stack's ClickHouse
 * cluster (2 shards x 2 replicas), and one replica is SIGKILLed and started again mid-run with
 * scripts/stack/service.sh, as a crashed server comes back.
 */
import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { promisify } from 'node:util'
import { localTableName } from '../../src/clickhouse/cluster.ts'
import { clusterEndpointsFromEnv, STACK_CLUSTER } from '../../src/config/endpoints.ts'
import { goldPartialsTable } from '../../src/sinks/clickhouse/gold.ts'
import { waitFor } from '../../src/testing/wait.ts'
import { random } from './dataset.ts'
import { type ChaosRun, finish, produceRest, startEngine, waitForProgress } from './harness.ts'

const run = promisify(execFile)
const repo = path.resolve(import.meta.dirname, '../..')

/** The configuration that points the engine at the stack's cluster. */
export function clusterEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  return {
    TRIBUTARY_CLICKHOUSE_CLUSTER: STACK_CLUSTER.name,
    TRIBUTARY_CLICKHOUSE_SHARDS: clusterEndpointsFromEnv(env)
      .clickhouseShards.map((replicas) => replicas.join(','))
      .join(';'),
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

/** A server the stack started (e.g. `ch-s1r1`), to kill as a crash does and start again. */
export class StackService {
  readonly name: string

  constructor(name: string) {
    this.name = name
  }

  /** SIGKILLs it and waits until the process is gone. */
  async kill(): Promise<void> {
    const stackDir = process.env.TRIBUTARY_STACK_DIR ?? path.join(repo, '.stack')
    const pid = Number(readFileSync(path.join(stackDir, 'run', `${this.name}.pid`), 'utf8').split(' ')[0])
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
 * Waits until the replica at `url` has fetched every block its shard's other replicas took while
 * it was away, so reads that pick it see all of them.
 */
export async function syncReplica(chaos: ChaosRun, url: string): Promise<void> {
  const ch = await chaos.ctx.clickhouse()
  const t = chaos.topology.tables
  const f = await ch.features()
  const tables = [
    ...[t.bronze, t.silver, t.quarantine, t.late].filter((x) => x !== undefined),
    ...(chaos.topology.definition.gold ?? []).map((g) => goldPartialsTable(g, f).name),
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
 * The engine runs `kills` times and is SIGKILLed after a random amount of progress each time; the
 * replica is SIGKILLed during the first run and started again during the second (the first, with
 * one kill). The data arrives in kills + 1 slices (`prepareChaos` holds back all but the first), a
 * slice per run: a run always has fresh records to progress on, which land on the live replicas,
 * so progress shows even while rows acknowledged only by the dead replica are out of sight.
 * Then a last run to the end, and the replica caught up, ready for `verifyChaos`.
 */
export async function runClusterChaos(chaos: ChaosRun, opts: ClusterChaosOptions): Promise<void> {
  const { kills, replica } = opts
  const log = opts.log ?? (() => {})
  const slice = Math.ceil(chaos.held.length / kills)
  const next = random(opts.seed + 1)
  const progress = (what: string) => waitForProgress(chaos, 1 + Math.floor((next() * slice) / 2), what)
  let down = false
  try {
    for (let kill = 1; kill <= kills; kill++) {
      const engine = startEngine(chaos)
      try {
        if (kill === 1) {
          await progress('engine run 1 to progress')
          await replica.kill()
          down = true
          log(`chaos: ${replica.name} SIGKILLed`)
        }
        await produceRest(chaos, slice)
        await progress(`engine run ${kill} to progress`)
        if (kill === Math.min(2, kills)) {
          await replica.start()
          down = false
          log(`chaos: ${replica.name} restarted`)
        }
      } finally {
        engine.child.kill('SIGKILL')
      }
      const { signal } = await engine.exited
      log(`chaos: kill ${kill}/${kills}: ${signal}`)
    }
  } finally {
    // A failed run leaves the stack as it found it.
    if (down) await replica.start()
  }
  await produceRest(chaos)
  await finish(chaos)
  await syncReplica(chaos, opts.replicaUrl)
}
