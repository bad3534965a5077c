import { availableParallelism } from 'node:os'
import { parseArgs } from 'node:util'
import { ConfigError } from '../../errors/tributary-error.ts'
import { caughtUp } from '../../runtime/caught-up.ts'
import { StopRequested } from '../../runtime/dependency.ts'
import { Engine } from '../../runtime/engine.ts'
import { createKafka } from '../../sources/kafka/client.ts'
import type { Command } from '../context.ts'
import { supervise } from '../supervise.ts'
import { pickTopologies } from '../topologies.ts'

/** SIGTERM/SIGINT stop the engine within this, whatever it waits on (README, CLI). */
const STOP_BOUND_MS = 30_000

export const run: Command = {
  name: 'run',
  summary: 'run topologies until SIGINT/SIGTERM (drains, flushes, commits, exits 0)',
  usage: 'tributary run [topology...] [--until-idle MS] [--processes N]',
  async run(args, ctx) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { 'until-idle': { type: 'string' }, processes: { type: 'string' } },
    })
    const topologies = await pickTopologies(positionals)
    const processes = processCount(values.processes)
    if (processes > 1) {
      const untilIdle = values['until-idle']
      return supervise({
        processes,
        args: [...positionals, ...(untilIdle === undefined ? [] : ['--until-idle', untilIdle])],
        metricsPort: ctx.config.metrics.port,
        logger: ctx.logger(),
      })
    }
    const engine = new Engine({ config: ctx.config, topologies })
    let stopping: Promise<void> | undefined
    const stop = (why: string) => {
      engine.logger.info({ why }, 'stop requested')
      // Waits on dependencies end at once and the last checkpoint gets a grace; this is the backstop.
      setTimeout(() => {
        engine.logger.error(`did not stop within ${STOP_BOUND_MS} ms of the request (${why}); exiting`)
        process.exit(1)
      }, STOP_BOUND_MS).unref()
      stopping ??= engine.stop()
      return stopping
    }
    process.once('SIGINT', () => void stop('SIGINT'))
    process.once('SIGTERM', () => void stop('SIGTERM'))
    try {
      await engine.start()
    } catch (err) {
      // SIGTERM while start-up waited on a dependency: nothing was processed, a clean stop.
      if (!(stopping && err instanceof StopRequested)) throw err
    }
    if (values['until-idle'] !== undefined) {
      // The demo's and the chaos harness' "run until caught up": stop once every runner has been at
      // the high-water mark of every partition it holds, with nothing left to make durable, for
      // this long. Start-up (no assignment yet) and a checkpoint landing are not idle.
      const idleMs = Number(values['until-idle'])
      const admin = createKafka(ctx.config, engine.logger).admin()
      await admin.connect()
      let since: number | undefined
      let checking = false
      const timer = setInterval(async () => {
        if (checking) return
        checking = true
        try {
          const idle = (
            await Promise.all(
              engine.runners.map((r) => {
                const progress = r.progress()
                return progress === undefined ? false : caughtUp(admin, progress)
              }),
            )
          ).every(Boolean)
          since = idle ? (since ?? Date.now()) : undefined
          if (since !== undefined && Date.now() - since >= idleMs) {
            clearInterval(timer)
            void stop('idle')
          }
        } catch (err) {
          engine.logger.debug({ err }, 'could not tell whether caught up; asking again')
        } finally {
          checking = false
        }
      }, 200)
      engine.done
        .finally(() => {
          clearInterval(timer)
          return admin.disconnect()
        })
        .catch(() => {})
    }
    try {
      await engine.done
      await stopping
      return 0
    } catch (err) {
      engine.logger.error({ err }, 'engine failed')
      return 1
    }
  },
}

/** `--processes`: how many engine processes (default 1: this one, no supervisor). */
function processCount(value: string | undefined): number {
  if (value === undefined) return 1
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1)
    throw new ConfigError(
      '--processes',
      `must be a whole number >= 1, not ${JSON.stringify(value)}`,
      `give the number of engine processes, e.g. --processes ${availableParallelism()} (one per core)`,
    )
  return n
}
