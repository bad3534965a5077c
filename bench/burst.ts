/**
 * `node bench/burst.ts [--backlogs 100000,300000,1000000] [--env KEY=VALUE ...]`: the engine's peak
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
    seed: { type: 'string', default: '1' },
    /** `KEY=VALUE` engine settings to measure under, e.g. TRIBUTARY_SOURCE_MAX_IN_FLIGHT_RECORDS=20000. */
    env: { type: 'string', multiple: true, default: [] },
  },
})
const env = Object.fromEntries(
  values.env.map((kv) => {
    const at = kv.indexOf('=')
    if (at < 1) throw new Error(`--env takes KEY=VALUE, not ${kv}`)
    return [kv.slice(0, at), kv.slice(at + 1)]
  }),
)
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
    `settings: ${values.env.length > 0 ? values.env.join(' ') : 'defaults'}`,
    '',
    '| backlog (orders) | engine peak RSS (MiB) | catch-up (s) | tables |',
    '|---:|---:|---:|---|',
    ...rows,
  ].join('\n'),
)
process.exitCode = exact ? 0 : 1
