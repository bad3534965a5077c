import { type ChildProcess, spawn } from 'node:child_process'
import type { Logger } from 'pino'

/** A child that fails this soon after it started failed to start: restarting it would only loop. */
const START_GRACE_MS = 10_000
/** Before a child that failed while running is started again. */
const RESTART_DELAY_MS = 1_000

export interface SuperviseOptions {
  readonly processes: number
  /** `tributary run`'s own arguments for each child, without `--processes`. */
  readonly args: readonly string[]
  /** `metrics.port`: child i serves its metrics on port + i (0 stays 0: each picks a free one). */
  readonly metricsPort: number
  readonly logger: Logger
}

/**
 * `tributary run --processes N`: N engines of the same topologies in their own processes, members of
 * the same consumer groups, so the partitions (and the work) spread over the cores. One Node
 * process does its work on one core, and on the bench machine a second process in the group gains
 * ~17% whole-run and ~35% steady (bench/README.md). Exactly-once holds as it does for any members
 * of a group: each partition's state, offsets and blocks go with it.
 *
 * SIGINT/SIGTERM go to every child, each drains and commits, and the exit code is 0 only if every
 * child's was. A child that exits 0 (`--until-idle`) is done. A child that fails while running is
 * started again (its partitions move to the others meanwhile, and back); one that fails within
 * START_GRACE_MS of starting (a bad configuration, a topology that does not load) stops them all,
 * exit code 1, rather than loop.
 */
export function supervise(o: SuperviseOptions): Promise<number> {
  const script = process.argv[1]!
  const live = new Set<ChildProcess>()
  let stopping = false
  let failed = false
  let restarts = 0
  const pending = new Set<NodeJS.Timeout>()

  return new Promise((resolve) => {
    const settle = () => {
      if (live.size === 0 && pending.size === 0) resolve(failed ? 1 : 0)
    }
    const stopAll = (signal: NodeJS.Signals) => {
      stopping = true
      for (const t of pending) clearTimeout(t)
      pending.clear()
      for (const child of live) child.kill(signal)
      settle()
    }
    const start = (i: number) => {
      const startedAt = Date.now()
      const child = spawn(process.execPath, [...process.execArgv, script, 'run', ...o.args], {
        stdio: 'inherit',
        env: {
          ...process.env,
          TRIBUTARY_METRICS_PORT: o.metricsPort === 0 ? '0' : String(o.metricsPort + i),
        },
      })
      live.add(child)
      child.once('exit', (code, signal) => {
        live.delete(child)
        const how = signal ? `signal ${signal}` : `code ${code}`
        if (stopping || code === 0) {
          if (code !== 0) failed = true
          return settle()
        }
        if (Date.now() - startedAt < START_GRACE_MS) {
          o.logger.error(
            { process: i + 1 },
            `engine process ${i + 1} failed on start-up (${how}); stopping all`,
          )
          failed = true
          return stopAll('SIGTERM')
        }
        restarts++
        o.logger.warn(
          { process: i + 1, restarts },
          `engine process ${i + 1} failed (${how}); starting it again`,
        )
        const t = setTimeout(() => {
          pending.delete(t)
          start(i)
        }, RESTART_DELAY_MS)
        pending.add(t)
      })
    }
    process.once('SIGINT', () => stopAll('SIGINT'))
    process.once('SIGTERM', () => stopAll('SIGTERM'))
    for (let i = 0; i < o.processes; i++) start(i)
    o.logger.info({ processes: o.processes }, `supervising ${o.processes} engine processes`)
  })
}
