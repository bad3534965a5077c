import { parseArgs } from 'node:util'
import { StopRequested } from '../../runtime/dependency.ts'
import { Engine } from '../../runtime/engine.ts'
import type { Command } from '../context.ts'
import { pickTopologies } from '../topologies.ts'

/** SIGTERM/SIGINT stop the engine within this, whatever it waits on (README, CLI). */
const STOP_BOUND_MS = 30_000

export const run: Command = {
  name: 'run',
  summary: 'run topologies until SIGINT/SIGTERM (drains, flushes, commits, exits 0)',
  usage: 'tributary run [topology...] [--until-idle MS]',
  async run(args, ctx) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { 'until-idle': { type: 'string' } },
    })
    const topologies = await pickTopologies(positionals)
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
      // The demo's "run until caught up": stop once no record has arrived for this long.
      const idleMs = Number(values['until-idle'])
      let last = -1
      let since = Date.now()
      const timer = setInterval(async () => {
        const seen = await inCount(engine)
        if (seen !== last) {
          last = seen
          since = Date.now()
        } else if (Date.now() - since >= idleMs) {
          clearInterval(timer)
          void stop('idle')
        }
      }, 200)
      engine.done.finally(() => clearInterval(timer)).catch(() => {})
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

async function inCount(engine: Engine): Promise<number> {
  const metric = await engine.metrics.registry.getSingleMetric('tributary_records_total')?.get()
  return (metric?.values ?? []).filter((v) => v.labels.outcome === 'in').reduce((a, v) => a + v.value, 0)
}
