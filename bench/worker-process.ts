import { tmpdir } from 'node:os'
import path from 'node:path'
import type { WorkerSpec } from './contender.ts'
import { MeasuredProcess, type Usage } from './measure.ts'

const WORKER_MAIN = path.join(import.meta.dirname, 'workers', 'main.ts')
const COMPILE_CACHE = path.join(tmpdir(), 'tributary-bench-compile-cache')

/** A worker (bench/workers/main.ts) in its own measured process, from "ready" to its report. */
export class WorkerProcess {
  readonly spec: WorkerSpec
  readonly #proc: MeasuredProcess
  readonly #pid: number
  #stopping = false

  private constructor(spec: WorkerSpec, proc: MeasuredProcess, pid: number) {
    this.spec = spec
    this.#proc = proc
    this.#pid = pid
  }

  /** Resolves once the worker is about to consume: the moment its clock starts. */
  static async start(spec: WorkerSpec): Promise<WorkerProcess> {
    const proc = new MeasuredProcess(
      [process.execPath, ...(spec.nodeFlags ?? []), WORKER_MAIN, spec.worker, JSON.stringify(spec.params)],
      // Every contender starts as `bin/tributary.js` does: with Node's compile cache (parsed,
      // type-stripped code kept across runs), so its CPU seconds are the work, not re-compiling.
      { stdout: 'messages', env: { NODE_COMPILE_CACHE: COMPILE_CACHE, ...process.env } },
    )
    const { pid } = await proc.message<{ pid: number }>('ready')
    return new WorkerProcess(spec, proc, pid)
  }

  /** `work`, unless the worker dies first: then its exit code and stderr, instead of a timeout. */
  async whileAlive<T>(work: Promise<T>): Promise<T> {
    const died = this.#proc.exited.then((e) => {
      if (!this.#stopping)
        throw new Error(`worker ${this.spec.worker} exited early (code ${e.code}):\n${e.stderr.slice(-4000)}`)
    })
    died.catch(() => {})
    return (await Promise.race([work, died])) as T
  }

  /** SIGTERM (the worker drains, flushes, commits), then its usage and report. */
  async stop(): Promise<{ usage: Usage; report: Record<string, unknown> }> {
    this.#stopping = true
    this.#proc.signal(this.#pid)
    const exit = await this.#proc.exited
    if (exit.code !== 0)
      throw new Error(
        `worker ${this.spec.worker} failed to stop (code ${exit.code}):\n${exit.stderr.slice(-4000)}`,
      )
    return { usage: exit.usage, report: await this.#proc.message<Record<string, unknown>>('report') }
  }
}
