/**
 * A plain catch-up, no fault at all: the whole backlog is produced first, then one engine with the
 * default settings runs it `--until-idle`, then every table is compared with the ground truth the
 * chaos harness computes from the produced events (scripts/chaos/dataset.ts). Gold after a backlog
 * was once wrong (issue 14, finding 1: a starved partition declared idle), so this is its check.
 *
 * The engine's peak resident set is read from the kernel (VmHWM, /proc/<pid>/status) while it runs,
 * for the burst bench (bench/burst.ts).
 */
import { readFile } from 'node:fs/promises'
import type { CliContext } from '../../src/cli/context.ts'
import { type ChaosSummary, prepareChaos, startEngine, verifyChaos } from '../chaos/harness.ts'

export interface CatchUpOptions {
  readonly events: number
  readonly partitions: number
  readonly seed: number
  /** `--until-idle`: caught up and nothing new for this long. */
  readonly idleMs: number
  /** Extra engine environment, e.g. a dedup bound to measure under. */
  readonly env?: Record<string, string>
  readonly log?: (line: string) => void
}

export interface CatchUpResult {
  readonly summary: ChaosSummary
  /** Every count and value equals the truth, and plain queries see no duplicate. */
  readonly exact: boolean
  readonly produceSeconds: number
  /** From the engine's start to its exit. */
  readonly runSeconds: number
  /** The engine process's peak resident set, MiB; null where /proc cannot tell. */
  readonly peakRssMb: number | null
}

/**
 * The engine's settings are the defaults, except the ones spawnEngine and the chaos harness set
 * for their own runs (a 200 ms flush interval, 2,000-row batches), which are put back here.
 */
const DEFAULTS = { TRIBUTARY_SINK_FLUSH_INTERVAL_MS: '1000', TRIBUTARY_SINK_MAX_BATCH_ROWS: '100000' }

export async function catchUp(ctx: CliContext, opts: CatchUpOptions): Promise<CatchUpResult> {
  const log = opts.log ?? (() => {})
  const started = Date.now()
  const run = await prepareChaos(ctx, {
    events: opts.events,
    partitions: opts.partitions,
    duplicateRatio: 0.02,
    invalidRatio: 0.01,
    seed: opts.seed,
  })
  const produced = Date.now()
  log(
    `produced ${run.data.messages.length} messages to ${run.topology.name} in ${(produced - started) / 1000} s`,
  )
  const engine = startEngine(run, ['--until-idle', String(opts.idleMs)], { ...DEFAULTS, ...opts.env })
  let peakKb: number | null = null
  const sample = async () => {
    const kb = await vmHwmKb(engine.child.pid)
    if (kb !== null) peakKb = Math.max(peakKb ?? 0, kb)
  }
  const sampler = setInterval(() => void sample(), 100)
  const { code, signal } = await engine.exited.finally(() => clearInterval(sampler))
  const ran = Date.now()
  if (code !== 0) throw new Error(`the engine exited ${code ?? signal}:\n${engine.output().slice(-4000)}`)
  log(`engine caught up and stopped in ${(ran - produced) / 1000} s`)
  const summary = await verifyChaos(run, opts.seed)
  const exact =
    summary.lost === 0 && summary.duplicated === 0 && summary.mismatched === 0 && summary.plain.exact
  return {
    summary,
    exact,
    produceSeconds: (produced - started) / 1000,
    runSeconds: (ran - produced) / 1000,
    peakRssMb: peakKb === null ? null : Math.round(peakKb / 1024),
  }
}

/** The process's peak resident set so far (the kernel keeps it), or null once it is gone. */
async function vmHwmKb(pid: number | undefined): Promise<number | null> {
  if (pid === undefined) return null
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '')
  const m = /^VmHWM:\s+(\d+) kB/m.exec(status)
  return m ? Number(m[1]) : null
}
