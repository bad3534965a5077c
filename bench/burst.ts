/**
 * `node bench/burst.ts [--backlogs 100000,300000,1000000] [--max-dedup-keys N]`: the engine's peak
 * resident set by backlog size. Each backlog is produced first, then one engine with the default
 * settings catches up `--until-idle` (scripts/catch-up), its tables checked against the truth. Memory
 * is bounded by configuration when the peak stays flat as the backlog grows. Exits 1 when any
 * run's tables are wrong.
 */
import { parseArgs } from 'node:util'
import { catchUp } from '../scripts/catch-up/catch-up.ts'
import { CliContext } from '../src/cli/context.ts'
import { quietKnownWarnings } from '../src/cli/main.ts'

quietKnownWarnings()
const { values } = parseArgs({
  options: {
    backlogs: { type: 'string', default: '100000,300000,1000000' },
    'max-dedup-keys': { type: 'string' },
    seed: { type: 'string', default: '1' },
  },
})
const env: Record<string, string> = values['max-dedup-keys']
  ? { TRIBUTARY_DEDUP_MAX_KEYS_IN_MEMORY: values['max-dedup-keys'] }
  : {}
const ctx = new CliContext()
const rows: string[] = []
let exact = true
try {
  for (const backlog of values.backlogs.split(',').map(Number)) {
    const r = await catchUp(ctx, {
      events: backlog,
      partitions: 6,
      seed: Number(values.seed),
      idleMs: 3000,
      env,
    })
    exact &&= r.exact
    rows.push(
      `| ${backlog.toLocaleString('en-US')} | ${r.peakRssMb ?? '?'} | ${r.runSeconds.toFixed(1)} | ${r.exact ? 'exact' : 'WRONG'} |`,
    )
    console.error(
      `burst: ${backlog}: peak RSS ${r.peakRssMb} MiB in ${r.runSeconds} s, ${r.exact ? 'exact' : 'WRONG'}`,
    )
  }
} finally {
  await ctx.close()
}
console.log(
  [
    `dedup.maxKeysInMemory: ${values['max-dedup-keys'] ?? 'default'}`,
    '',
    '| backlog (orders) | engine peak RSS (MiB) | catch-up (s) | tables |',
    '|---:|---:|---:|---|',
    ...rows,
  ].join('\n'),
)
process.exitCode = exact ? 0 : 1
