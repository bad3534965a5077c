import type { Logger } from 'pino'
import { ENGINE_EVENTS, type EngineEvents } from '../observability/events.ts'
import { backoffDelay, realSleep } from '../resilience/retry.ts'
import type { Progress } from './caught-up.ts'

/** What the supervisor needs of a topology runner. */
export interface Supervised {
  readonly name: string
  readonly ready: boolean
  /** Resolves after a clean stop, rejects on a fatal error. */
  readonly done: Promise<void>
  start(): Promise<void>
  stop(): Promise<void>
  progress(): Progress
}

export interface SupervisorOptions {
  readonly name: string
  /** A fresh runner: a failed one is never restarted in place (its consumer and sinks are spent). */
  readonly create: () => Supervised
  readonly events: EngineEvents
  readonly logger: Logger
  readonly backoff?: { readonly baseMs: number; readonly maxMs: number }
}

/** A run that lasted this long was healthy: the next failure starts the backoff afresh. */
const STABLE_MS = 60_000

/**
 * Keeps one topology running inside an engine shared with others. A runner that fails has already
 * stopped without committing what was not durable and left its consumer group; the supervisor
 * reports it (`tributary_topology_up` 0, `tributary_topology_restarts_total`, /readyz, the log)
 * and starts a fresh runner after a backoff, which resumes from the last commit. The other
 * topologies never notice. Only the first start fails the engine: that is configuration, and
 * bad configuration fails fast.
 */
export class Supervisor {
  readonly name: string
  private readonly opts: SupervisorOptions
  private runner?: Supervised
  private stopping = false
  private readonly abort = new AbortController()
  private resolveDone!: () => void
  /** Resolves once stopped; never rejects (failures are restarted). */
  readonly done: Promise<void>
  /** The latest failure, for health reports; cleared by a successful restart. */
  lastError: unknown

  constructor(opts: SupervisorOptions) {
    this.opts = opts
    this.name = opts.name
    this.done = new Promise((resolve) => {
      this.resolveDone = resolve
    })
  }

  get ready(): boolean {
    return !this.stopping && this.runner?.ready === true
  }

  async start(): Promise<void> {
    const runner = this.opts.create()
    this.runner = runner
    await runner.start()
    this.watch(runner, Date.now())
  }

  /** The current runner's progress, for `run --until-idle`. */
  progress(): Progress | undefined {
    return this.runner?.progress()
  }

  async stop(): Promise<void> {
    this.stopping = true
    this.abort.abort()
    try {
      // A runner that failed and awaits its restart has stopped already; its error was reported.
      const failed = this.lastError !== undefined
      await this.runner?.stop().catch((err) => {
        if (!failed) throw err
      })
    } finally {
      this.resolveDone()
    }
  }

  private watch(runner: Supervised, startedAt: number, failures = 0): void {
    this.opts.events.emit(ENGINE_EVENTS.TOPOLOGY_STATE, { topology: this.name, up: true, restarted: false })
    runner.done.then(
      () => {},
      (err) => {
        const stable = Date.now() - startedAt >= STABLE_MS
        void this.restart(err, stable ? 1 : failures + 1)
      },
    )
  }

  private async restart(err: unknown, failures: number): Promise<void> {
    const { events, logger, backoff = { baseMs: 1_000, maxMs: 60_000 } } = this.opts
    for (let attempt = failures; !this.stopping; attempt++) {
      this.lastError = err
      events.emit(ENGINE_EVENTS.TOPOLOGY_STATE, { topology: this.name, up: false, restarted: false })
      const delayMs = backoffDelay(attempt, { ...backoff, jitter: true })
      logger.error(
        { topology: this.name, err, attempt, restartInMs: delayMs },
        'topology failed; restarting it after a backoff (the other topologies keep running)',
      )
      try {
        await realSleep(delayMs, this.abort.signal)
      } catch {
        return
      }
      if (this.stopping) return
      const runner = this.opts.create()
      this.runner = runner
      events.emit(ENGINE_EVENTS.TOPOLOGY_STATE, { topology: this.name, up: false, restarted: true })
      try {
        await runner.start()
      } catch (startErr) {
        err = startErr
        await runner.stop().catch(() => {})
        continue
      }
      this.lastError = undefined
      this.watch(runner, Date.now(), attempt)
      return
    }
  }
}
