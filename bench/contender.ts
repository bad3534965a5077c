import type { ClickHouse } from '../src/clickhouse/client.ts'
import type { TributaryConfig } from '../src/config/config.ts'
import type { SchemaRegistry } from '../src/serde/registry.ts'
import type { Dataset, Variant } from './dataset.ts'
import type { BenchKafka } from './kafka.ts'
import type { Usage } from './measure.ts'
import type { ServerName, StackServers } from './servers.ts'
import type { CountCheck } from './tables.ts'
import { WorkerProcess } from './worker-process.ts'

/** What every contender runs against: one dataset, one stack, names unique to this run. */
export interface BenchContext {
  /** Short and unique per run: topics, groups and tables all carry it. */
  readonly runId: string
  readonly config: TributaryConfig
  readonly kafka: BenchKafka
  readonly clickhouse: ClickHouse
  readonly registry: SchemaRegistry
  readonly dataset: Dataset
  readonly servers: StackServers
  /** Longest a single contender may take before the run is declared failed. */
  readonly timeoutMs: number
}

export interface Measurement {
  /** From the moment the contender starts consuming to the moment its last row is durable. */
  readonly seconds: number
  /** The process doing the work (for ClickHouse's Kafka engine: the ClickHouse server). */
  readonly usage: Usage
  /** The stack's servers over the run: the inserts, fetches and checkpoints every contender causes. */
  readonly servers: Readonly<Record<ServerName, Usage>>
  readonly redisRoundTrips: number | null
  readonly counts: readonly CountCheck[]
  /**
   * Events/s once the group has settled and before the tail: between the moments 20% and 90% of
   * the messages were committed. Start-up, the group's join and the last flush are left out, so it
   * is the rate a long run would hold. Null where progress cannot be watched (kcat).
   */
  readonly steadyEventsPerSecond: number | null
  /** The server the contender's work ran inside (its `usage` is that server's): not counted twice. */
  readonly runsInside?: ServerName
}

export interface Contender {
  /** Stable across runs, for `--only` and results files. */
  readonly id: string
  readonly label: string
  readonly variant: Variant
  run(ctx: BenchContext): Promise<Measurement>
  /** Contenders that run as a worker can also be run live, for the latency measurement. */
  readonly worker?: WorkerFactory
}

/** A worker process to start for one topic, and where its rows land. */
export interface WorkerSpec {
  /** A key of bench/workers/main.ts WORKERS. */
  readonly worker: string
  readonly params: object
  readonly groupId: string
  readonly topic: string
  /** The table whose rows mean "visible", with `_partition` and `_offset` lineage columns. */
  readonly table: string
  /** Row counts that must hold once the whole dataset went through. */
  counts(): Promise<CountCheck[]>
  readonly nodeFlags?: readonly string[]
  /** Processes in the consumer group (default 1): a second one puts the other core to work. */
  readonly instances?: number
}

/** Prepares (tables, names) a worker reading `topic` under run-unique `name`. */
export type WorkerFactory = (ctx: BenchContext, topic: string, name: string) => Promise<WorkerSpec>

/** A contender that is a worker process: timed over the dataset topic of its variant. */
export function workerContender(c: {
  id: string
  label: string
  variant: Variant
  worker: WorkerFactory
  /** Default: the dataset's topic of the variant. */
  topic?: (dataset: Dataset) => string
}): Contender {
  const topic = c.topic ?? ((d: Dataset) => d.topics[c.variant])
  return {
    ...c,
    run: async (ctx) => runWorker(ctx, await c.worker(ctx, topic(ctx.dataset), runName(ctx, c.id))),
  }
}

const POLL_MS = 100

/** A name carrying the run id, in characters Kafka, ClickHouse and Tributary all accept. */
export function runName(ctx: BenchContext, suffix: string): string {
  return `bench_${ctx.runId}_${suffix}`.replaceAll('-', '_')
}

/** Polls `done` (sampling the servers' memory meanwhile) until it holds or the contender times out. */
export async function waitUntil(
  ctx: BenchContext,
  what: string,
  done: () => Promise<boolean>,
): Promise<void> {
  const deadline = Date.now() + ctx.timeoutMs
  for (;;) {
    ctx.servers.sample()
    if (await done()) return
    if (Date.now() > deadline) throw new Error(`${what} did not finish within ${ctx.timeoutMs / 1000} s`)
    await new Promise((r) => setTimeout(r, POLL_MS))
  }
}

/**
 * Waits until `groupId` has committed `topic` up to `end`, watching its progress; returns the
 * steady-state rate (see `Measurement.steadyEventsPerSecond`).
 */
export async function waitForGroup(
  ctx: BenchContext,
  what: string,
  groupId: string,
  topic: string,
  end: Map<number, number>,
): Promise<number | null> {
  let total = 0
  for (const high of end.values()) total += high
  const samples: Progress[] = []
  await waitUntil(ctx, what, async () => {
    const done = await ctx.kafka.committed(groupId, topic, end)
    samples.push({ at: performance.now(), done })
    return done >= total
  })
  return steadyRate(samples, total)
}

export interface Progress {
  /** performance.now() milliseconds. */
  readonly at: number
  readonly done: number
}

/** Events/s between the first samples at 20% and at 90% of `total`; null if too few samples. */
export function steadyRate(samples: readonly Progress[], total: number): number | null {
  const from = samples.find((s) => s.done >= 0.2 * total)
  const to = samples.find((s) => s.done >= 0.9 * total)
  if (from === undefined || to === undefined || to.at <= from.at) return null
  return ((to.done - from.done) * 1000) / (to.at - from.at)
}

/**
 * Times a worker over the whole topic: the clock starts when it is ready to consume and stops when
 * its group has committed every partition to the end (it commits only what is durable).
 */
async function runWorker(ctx: BenchContext, spec: WorkerSpec): Promise<Measurement> {
  const end = await ctx.kafka.endOffsets(spec.topic)
  const workers = await Promise.all(
    Array.from({ length: spec.instances ?? 1 }, () => WorkerProcess.start(spec)),
  )
  const started = performance.now()
  ctx.servers.start()
  const caughtUp = waitForGroup(ctx, spec.worker, spec.groupId, spec.topic, end)
  let steadyEventsPerSecond: number | null = null
  try {
    await Promise.all(workers.map((w) => w.whileAlive(caughtUp)))
    steadyEventsPerSecond = await caughtUp
  } catch (err) {
    await Promise.all(workers.map((w) => w.stop().catch(() => {})))
    throw err
  }
  const seconds = (performance.now() - started) / 1000
  const servers = ctx.servers.finish()
  const stopped = await Promise.all(workers.map((w) => w.stop()))
  return {
    seconds,
    usage: {
      cpuSeconds: total(stopped.map((s) => s.usage.cpuSeconds)),
      peakRssMb: total(stopped.map((s) => s.usage.peakRssMb)),
    },
    servers,
    redisRoundTrips: total(stopped.map((s) => s.report.redisRoundTrips as number | null | undefined)),
    counts: await spec.counts(),
    steadyEventsPerSecond,
  }
}

/**
 * Several processes as one contender: their CPU, peak RSS (an upper bound of the combined peak) and
 * Redis round trips add up; unknown if any process could not tell.
 */
function total(values: readonly (number | null | undefined)[]): number | null {
  let sum = 0
  for (const v of values) {
    if (typeof v !== 'number') return null
    sum += v
  }
  return sum
}
