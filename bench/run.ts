import { readFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { CliContext } from '../src/cli/context.ts'
import { quietKnownWarnings } from '../src/cli/main.ts'
import { BASE_PORTS, portOffset } from '../src/config/endpoints.ts'
import { measureBurst } from './burst.ts'
import type { BenchContext, Contender } from './contender.ts'
import { allContenders } from './contenders/index.ts'
import { produceDataset } from './dataset.ts'
import { BenchKafka } from './kafka.ts'
import { type LatencyResult, measureLatency } from './latency.ts'
import { type BenchOptions, parseOptions, USAGE } from './options.ts'
import { type CpuProfile, summariseProfile } from './profile-summary.ts'
import { type BenchResults, type ContenderResult, countsOk, resultsMarkdown, writeResults } from './report.ts'
import { StackServers } from './servers.ts'
import { dropRunTables, settleMerges } from './tables.ts'

/** Contenders also measured live for latency: Tributary's full pipeline and what it replaces. */
const LATENCY_IDS = ['tributary-full-redis-avro', 'hand-written-kafkajs']

const log = (line: string) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}`)

/**
 * `npm run bench`: produce the dataset once, then time each contender over it in its own process,
 * one after another, then the latency runs. Ports and endpoints come from the project's own
 * configuration (TRIBUTARY_PORT_OFFSET, TRIBUTARY_* variables), so it runs against any stack.
 * Exits 1 when any contender's row counts are wrong.
 */
/** The contender `--profile`/`--profile-id` names, under `--cpu-prof` into `dir`. */
function profiledContender(options: BenchOptions, dir: string): Contender {
  const profiled = allContenders(dir).find((c) => c.id === options.profile)
  if (!profiled?.id.startsWith('tributary-'))
    throw new Error(
      `--profile-id takes a Tributary contender id (see bench/README.md), not ${options.profile}`,
    )
  return profiled
}

async function main(options: BenchOptions, command: string): Promise<number> {
  // A wrong id fails now, not after the dataset is produced.
  if (options.profile) profiledContender(options, path.resolve(options.resultsDir, 'profiles'))
  const startedAt = new Date().toISOString()
  const loadAtStart = os.loadavg()[0]!
  const runId = Date.now().toString(36).slice(-6)
  const cli = new CliContext()
  const { config } = cli
  const clickhouse = await cli.clickhouse()
  const kafka = await BenchKafka.connect(config.kafka.brokers)
  const features = await clickhouse.features()
  const prefix = `bench_${runId}_`
  try {
    log(`run ${runId}: producing ${options.events.toLocaleString('en-US')} messages per variant`)
    const dataset = await produceDataset({
      kafka,
      registry: cli.registry(),
      topicPrefix: prefix,
      messages: options.events,
      partitions: options.partitions,
    })
    log(`produced in ${dataset.produceSeconds.toFixed(1)} s`)
    const ctx: BenchContext = {
      runId,
      config,
      kafka,
      clickhouse,
      registry: cli.registry(),
      dataset,
      servers: new StackServers({
        clickhouse: Number(new URL(config.clickhouse.url).port),
        kafka: Number(config.kafka.brokers[0]!.split(':').at(-1)),
        redis: Number(new URL(config.redis.url).port),
        zookeeper: BASE_PORTS.zookeeper + portOffset(),
      }),
      // Generous: a contender 20x slower than expected still finishes; a stuck one fails the run.
      timeoutMs: 60_000 + options.events * 0.5,
    }
    const chosen = (cs: Contender[]) =>
      cs.filter((c) => options.only.length === 0 || options.only.includes(c.id))

    const contenders: ContenderResult[] = []
    for (const c of chosen(allContenders())) {
      await settleMerges(clickhouse)
      log(`${c.id}: running`)
      const m = await c.run(ctx)
      const result = {
        id: c.id,
        label: c.label,
        variant: c.variant,
        ...m,
        eventsPerSecond: dataset.messages / m.seconds,
      }
      contenders.push(result)
      log(
        `${c.id}: ${Math.round(result.eventsPerSecond).toLocaleString('en-US')} events/s, counts ${countsOk(m) ? 'ok' : `WRONG ${JSON.stringify(m.counts)}`}`,
      )
    }

    const latency: LatencyResult[] = []
    for (const c of chosen(allContenders()).filter((c) => LATENCY_IDS.includes(c.id))) {
      await settleMerges(clickhouse)
      log(`${c.id}: latency at ${options.latencyRate} events/s for ${options.latencySeconds} s`)
      latency.push(
        await measureLatency(ctx, c, { rate: options.latencyRate, seconds: options.latencySeconds }),
      )
    }

    const burst = options.burst.length > 0 ? await measureBurst(cli, options.burst, { log }) : []

    let profile: BenchResults['profile']
    if (options.profile) {
      const dir = path.resolve(options.resultsDir, 'profiles')
      const profiled = profiledContender(options, dir)
      await settleMerges(clickhouse)
      log(`${profiled.id}: running under --cpu-prof (not in the table)`)
      const m = await profiled.run({ ...ctx, runId: `${runId}p` })
      const file = path.join(dir, `${profiled.id}.cpuprofile`)
      profile = {
        label: `${profiled.label}, ${profiled.variant}`,
        file: path.relative(process.cwd(), file),
        eventsPerSecond: dataset.messages / m.seconds,
        counts: m.counts,
        summary: summariseProfile(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile),
      }
    }

    const results: BenchResults = {
      startedAt,
      command,
      machine: {
        cpu: os.cpus()[0]?.model ?? 'unknown CPU',
        cores: os.cpus().length,
        node: process.version,
        clickhouse: features.version,
        load: { start: loadAtStart, end: os.loadavg()[0]! },
      },
      dataset,
      contenders,
      latency,
      ...(burst.length > 0 ? { burst } : {}),
      ...(profile ? { profile } : {}),
      countsOk:
        contenders.every(countsOk) &&
        (profile === undefined || countsOk(profile)) &&
        burst.every((b) => b.exact),
    }
    const files = writeResults(options.resultsDir, results)
    console.log(resultsMarkdown(results))
    log(`wrote ${files.json} and ${files.markdown}`)
    if (!results.countsOk) log('FAILED: some row counts are wrong (see the rows column)')
    return results.countsOk ? 0 : 1
  } finally {
    if (!options.keep) {
      await dropRunTables(clickhouse, runId)
      await kafka.deleteRunTopics(`bench_${runId}`).catch((err) => log(`could not delete topics: ${err}`))
    }
    await kafka.close()
    await cli.close()
  }
}

quietKnownWarnings()
let options: BenchOptions
try {
  options = parseOptions(process.argv.slice(2))
} catch (err) {
  console.error(`${(err as Error).message}\nusage: ${USAGE}`)
  process.exit(2)
}
const command = ['npm run bench', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(
  ' ',
)
try {
  process.exit(await main(options, command))
} catch (err) {
  log(`FAILED: ${(err as Error).stack ?? err}`)
  process.exit(1)
}
