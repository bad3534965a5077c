/**
 * The engine's peak resident set by backlog size: each backlog is produced first, then one engine
 * with the default settings catches up `--until-idle` (scripts/catch-up), its tables checked against
 * the truth. Memory is bounded by configuration when the peak stays flat as the backlog grows.
 *
 * `npm run bench -- --burst` puts it in the bench report; on its own:
 * `node bench/burst.ts [--backlogs 100000,300000,1000000] [--env KEY=VALUE ...]` (exits 1 when any
 * run's tables are wrong).
 */
import { parseArgs } from 'node:util'
import { catchUp } from '../scripts/catch-up/catch-up.ts'
import { CliContext } from '../src/cli/context.ts'
import { quietKnownWarnings } from '../src/cli/main.ts'

export const DEFAULT_BACKLOGS = [100_000, 300_000, 1_000_000]

export interface BurstResult {
  readonly backlog: number
  readonly peakRssMb: number | null
  readonly catchUpSeconds: number
  readonly exact: boolean
}

export async function measureBurst(
  ctx: CliContext,
  backlogs: readonly number[],
  options: { seed?: number; env?: Record<string, string>; log?: (line: string) => void } = {},
): Promise<BurstResult[]> {
  const results: BurstResult[] = []
  for (const backlog of backlogs) {
    const r = await catchUp(ctx, {
      events: backlog,
      partitions: 6,
      seed: options.seed ?? 1,
      idleMs: 3000,
      env: options.env ?? {},
    })
    results.push({ backlog, peakRssMb: r.peakRssMb ?? null, catchUpSeconds: r.runSeconds, exact: r.exact })
    options.log?.(
      `burst ${backlog}: peak RSS ${r.peakRssMb} MiB in ${r.runSeconds} s, ${r.exact ? 'exact' : 'WRONG'}`,
    )
  }
  return results
}

export function burstTable(results: readonly BurstResult[]): string {
  return [
    '| backlog (orders) | engine peak RSS (MiB) | catch-up (s) | tables |',
    '|---:|---:|---:|---|',
    ...results.map(
      (r) =>
        `| ${r.backlog.toLocaleString('en-US')} | ${r.peakRssMb ?? '?'} | ${r.catchUpSeconds.toFixed(1)} | ${r.exact ? 'exact' : 'WRONG'} |`,
    ),
  ].join('\n')
}

if (import.meta.main) {
  quietKnownWarnings()
  const { values } = parseArgs({
    options: {
      backlogs: { type: 'string', default: DEFAULT_BACKLOGS.join(',') },
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
  let results: BurstResult[]
  try {
    results = await measureBurst(ctx, values.backlogs.split(',').map(Number), {
      seed: Number(values.seed),
      env,
      log: (line) => console.error(line),
    })
  } finally {
    await ctx.close()
  }
  console.log(
    `settings: ${values.env.length > 0 ? values.env.join(' ') : 'defaults'}\n\n${burstTable(results)}`,
  )
  process.exit(results.every((r) => r.exact) ? 0 : 1)
}
