import { parseArgs } from 'node:util'
import { Engine } from '../../runtime/engine.ts'
import type { Command } from '../context.ts'
import { pickTopologies } from '../topologies.ts'

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
      stopping ??= engine.stop()
      return stopping
    }
    process.once('SIGINT', () => void stop('SIGINT'))
    process.once('SIGTERM', () => void stop('SIGTERM'))
    await engine.start()
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
