/**
 * `npm run catch-up`: N orders produced first (default 1,000,000), then the engine with default
 * settings `--until-idle`, then bronze, silver, quarantine, late, the dead-letter topic and every
 * gold row compared with the truth computed from the produced events. Prints a JSON summary and
 * exits 1 on any difference.
 *
 *   npm run catch-up -- [--events 1000000] [--partitions 6] [--seed N] [--idle-ms 5000]
 */
import { parseArgs } from 'node:util'
import { CliContext } from '../../src/cli/context.ts'
import { quietKnownWarnings } from '../../src/cli/main.ts'
import { catchUp } from './catch-up.ts'

quietKnownWarnings()
const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '1000000' },
    partitions: { type: 'string', default: '6' },
    seed: { type: 'string', default: String(Date.now() % 1_000_000) },
    'idle-ms': { type: 'string', default: '5000' },
  },
})
const ctx = new CliContext()
try {
  const result = await catchUp(ctx, {
    events: Number(values.events),
    partitions: Number(values.partitions),
    seed: Number(values.seed),
    idleMs: Number(values['idle-ms']),
    log: (line) => console.error(`catch-up: ${line}`),
  })
  console.log(JSON.stringify(result, null, 2))
  process.exitCode = result.exact ? 0 : 1
} finally {
  await ctx.close()
}
