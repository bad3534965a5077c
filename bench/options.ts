import { parseArgs } from 'node:util'
import { DEFAULT_BACKLOGS } from './burst.ts'

export interface BenchOptions {
  readonly quick: boolean
  /** Messages per topic, duplicates included. */
  readonly events: number
  readonly partitions: number
  /** Contender ids to run (all when empty); latency runs only for those among them. */
  readonly only: readonly string[]
  readonly latencyRate: number
  readonly latencySeconds: number
  /** Also run this Tributary contender once more under `node --cpu-prof` and summarise the profile. */
  readonly profile: string | null
  /** Keep this run's topics and tables (for a look afterwards) instead of dropping them. */
  readonly keep: boolean
  readonly resultsDir: string
  /** Backlog sizes for the engine's peak RSS (bench/burst.ts); empty: not measured. */
  readonly burst: readonly number[]
}

export const USAGE = `npm run bench -- [--quick | --long] [--events N] [--partitions N] [--only id,id]
                    [--latency-rate N] [--latency-seconds N] [--profile] [--profile-id ID]
                    [--keep] [--results-dir DIR] [--burst [--burst-backlogs N,N]]`

/** `--long`: a run long enough that start-up and the group's join are a small part of it. */
const LONG_EVENTS = 5_000_000

/** `--profile` alone profiles the full pipeline: the one the issue asks a profile of. */
const PROFILED_BY_DEFAULT = 'tributary-full-redis-avro'

/** `--quick` is CI's smoke test: small enough for two minutes, checked for counts, never speed. */
export function parseOptions(args: string[]): BenchOptions {
  const { values } = parseArgs({
    args,
    options: {
      quick: { type: 'boolean', default: false },
      long: { type: 'boolean', default: false },
      events: { type: 'string' },
      partitions: { type: 'string', default: '6' },
      only: { type: 'string', default: '' },
      'latency-rate': { type: 'string' },
      'latency-seconds': { type: 'string' },
      profile: { type: 'boolean', default: false },
      'profile-id': { type: 'string' },
      keep: { type: 'boolean', default: false },
      'results-dir': { type: 'string', default: 'bench/results' },
      burst: { type: 'boolean', default: false },
      'burst-backlogs': { type: 'string' },
    },
  })
  const quick = values.quick
  if (quick && values.long) throw new Error('--quick and --long are opposites: pick one')
  const whole = (name: string, raw: string | undefined, fallback: number, min: number): number => {
    if (raw === undefined) return fallback
    const n = Number(raw)
    if (!Number.isInteger(n) || n < min)
      throw new Error(`--${name} takes a whole number >= ${min}, not ${raw}`)
    return n
  }
  return {
    quick,
    events: whole('events', values.events, quick ? 20_000 : values.long ? LONG_EVENTS : 1_000_000, 100),
    partitions: whole('partitions', values.partitions, 6, 1),
    only: values.only.split(',').filter(Boolean),
    latencyRate: whole('latency-rate', values['latency-rate'], quick ? 2_000 : 20_000, 1),
    latencySeconds: whole('latency-seconds', values['latency-seconds'], quick ? 3 : 15, 1),
    profile: values['profile-id'] ?? (values.profile ? PROFILED_BY_DEFAULT : null),
    keep: values.keep,
    resultsDir: values['results-dir'],
    burst:
      values.burst || values['burst-backlogs'] !== undefined
        ? (values['burst-backlogs']?.split(',') ?? DEFAULT_BACKLOGS.map(String)).map((b) =>
            whole('burst-backlogs', b, 0, 100),
          )
        : [],
  }
}
