import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { type BurstResult, burstTable } from './burst.ts'
import type { Measurement } from './contender.ts'
import type { Dataset, Variant } from './dataset.ts'
import type { LatencyResult } from './latency.ts'
import { markdownTable } from './markdown.ts'
import { type ProfileSummary, profileMarkdown } from './profile-summary.ts'
import { SERVERS } from './servers.ts'

export interface ContenderResult extends Measurement {
  readonly id: string
  readonly label: string
  readonly variant: Variant
  readonly eventsPerSecond: number
}

export interface BenchResults {
  readonly startedAt: string
  readonly command: string
  readonly machine: {
    readonly cpu: string
    readonly cores: number
    readonly node: string
    readonly clickhouse: string
    /** 1-minute load averages at start and end: anything else running on the machine shows here. */
    readonly load: { readonly start: number; readonly end: number }
  }
  readonly dataset: Dataset
  readonly contenders: readonly ContenderResult[]
  readonly latency: readonly LatencyResult[]
  /** The engine's peak RSS by backlog (`--burst`). */
  readonly burst?: readonly BurstResult[]
  /** The extra profiled run (the full pipeline by default): slower than its row, by the profiler's cost. */
  readonly profile?: {
    readonly label: string
    readonly file: string
    readonly eventsPerSecond: number
    readonly counts: Measurement['counts']
    readonly summary: ProfileSummary
  }
  readonly countsOk: boolean
}

/** The contender every other is compared with: the raw read of the same topic, and the hand-written baseline. */
const RAW = (v: Variant) => `kcat-${v}`
const HAND_WRITTEN = 'hand-written-kafkajs'

export function countsOk(c: Pick<Measurement, 'counts'>): boolean {
  return c.counts.every((k) => k.actual === k.expected)
}

const fixed = (digits: number) => (x: number | null) => (x === null ? 'n/a' : x.toFixed(digits))
const thousands = (x: number) => Math.round(x).toLocaleString('en-US')

const perMillion = (seconds: number | null, messages: number) =>
  seconds === null ? null : (seconds * 1_000_000) / messages

/** The whole machine's CPU for a run: the contender's own process and every stack server's. */
function boxCpuSeconds(c: ContenderResult): number | null {
  let sum = c.runsInside === undefined ? c.usage.cpuSeconds : 0
  for (const name of SERVERS) {
    const s = c.servers[name].cpuSeconds
    if (sum === null || s === null) return null
    sum += s
  }
  return sum
}

export function resultsMarkdown(r: BenchResults): string {
  const rate = (id: string) => r.contenders.find((c) => c.id === id)?.eventsPerSecond ?? null
  const ratio = (x: number, base: number | null) => (base === null ? 'n/a' : `${(x / base).toFixed(2)}×`)
  const d = r.dataset
  const throughput = markdownTable(
    [
      'contender',
      'input',
      'events/s',
      'vs kcat',
      'vs hand-written',
      'steady events/s',
      'seconds',
      'CPU s',
      'CPU s / M events',
      'box CPU s / M events',
      'peak RSS MB',
      'server CPU s: ClickHouse / Kafka / Redis / ZooKeeper',
      'Redis round trips / 1k events',
      'rows',
    ],
    r.contenders.map((c) => [
      c.label,
      c.variant,
      thousands(c.eventsPerSecond),
      ratio(c.eventsPerSecond, rate(RAW(c.variant))),
      ratio(c.eventsPerSecond, rate(HAND_WRITTEN)),
      c.steadyEventsPerSecond === null ? 'n/a' : thousands(c.steadyEventsPerSecond),
      fixed(2)(c.seconds),
      fixed(1)(c.usage.cpuSeconds),
      fixed(1)(perMillion(c.usage.cpuSeconds, d.messages)),
      fixed(1)(perMillion(boxCpuSeconds(c), d.messages)),
      fixed(0)(c.usage.peakRssMb),
      SERVERS.map((name) => fixed(1)(c.servers[name].cpuSeconds)).join(' / '),
      c.redisRoundTrips === null ? 'n/a' : fixed(2)((c.redisRoundTrips / d.messages) * 1000),
      countsOk(c) ? 'ok' : c.counts.map((k) => `${k.table} ${k.actual}/${k.expected}`).join(', '),
    ]),
  )
  const latency = markdownTable(
    ['contender', 'input', 'target events/s', 'achieved events/s', 'events', 'p50 ms', 'p99 ms', 'max ms'],
    r.latency.map((l) => [
      l.label,
      l.variant,
      thousands(l.targetRate),
      thousands(l.achievedRate),
      thousands(l.events),
      fixed(0)(l.p50Ms),
      fixed(0)(l.p99Ms),
      fixed(0)(l.maxMs),
    ]),
  )
  return [
    `# Tributary benchmark, ${r.startedAt}`,
    '',
    `\`${r.command}\` on ${r.machine.cpu} (${r.machine.cores} cores), Node ${r.machine.node}, ClickHouse ${r.machine.clickhouse};` +
      ` load average ${r.machine.load.start.toFixed(2)} at start, ${r.machine.load.end.toFixed(2)} at end.`,
    `Dataset: ${thousands(d.messages)} messages (${thousands(d.unique)} distinct events, the rest duplicates) over ${d.partitions} partitions,` +
      ` values ~${d.avgValueBytes.avro.toFixed(0)} B Avro / ~${d.avgValueBytes.json.toFixed(0)} B JSON, produced in ${d.produceSeconds.toFixed(1)} s (untimed).`,
    '',
    '## Throughput',
    '',
    throughput,
    '',
    '## Latency (produce → row visible in ClickHouse)',
    '',
    latency,
    ...(r.burst && r.burst.length > 0
      ? [
          '',
          '## Peak RSS by backlog (`--burst`: the backlog produced first, then one engine with default settings catches up)',
          '',
          burstTable(r.burst),
        ]
      : []),
    ...(r.profile
      ? [
          '',
          `## CPU profile: ${r.profile.label} (\`${r.profile.file}\`)`,
          '',
          `A separate run under \`node --cpu-prof\`: ${thousands(r.profile.eventsPerSecond)} events/s, rows ${countsOk(r.profile) ? 'ok' : 'WRONG'}.`,
          '',
          profileMarkdown(r.profile.summary),
        ]
      : []),
    '',
  ].join('\n')
}

/** Writes `<dir>/<stamp>.json` and `<dir>/<stamp>.md`; returns their paths. */
export function writeResults(dir: string, r: BenchResults): { json: string; markdown: string } {
  mkdirSync(dir, { recursive: true })
  const stamp = r.startedAt.replaceAll(':', '-').replace(/\.\d+Z$/, 'Z')
  const json = path.join(dir, `${stamp}.json`)
  const markdown = path.join(dir, `${stamp}.md`)
  writeFileSync(json, `${JSON.stringify(r, null, 2)}\n`)
  writeFileSync(markdown, resultsMarkdown(r))
  return { json, markdown }
}
