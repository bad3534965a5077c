/**
 * A circuit breaker: after `failureThreshold` consecutive failures it opens and fails calls at once
 * (a retriable CircuitOpenError) instead of piling requests onto a service that is down; after
 * `resetTimeoutMs` it lets exactly one trial call through (half-open) and closes on its success.
 * Only infrastructure failures count: a rejected statement proves the service is up.
 */
import { TributaryError } from '../errors/tributary-error.ts'
import { isRetriableError } from './retry.ts'

export type CircuitState = 'closed' | 'open' | 'half-open'

export class CircuitOpenError extends TributaryError {
  readonly breaker: string
  /** When the breaker will next let a trial call through (epoch ms of the injected clock). */
  readonly retryAt: number

  constructor(breaker: string, retryAt: number) {
    super(
      'CIRCUIT_OPEN',
      `circuit ${breaker} is open after repeated failures; not calling until it half-opens`,
      {
        retriable: true,
      },
    )
    this.breaker = breaker
    this.retryAt = retryAt
  }
}

export interface CircuitBreakerOptions {
  readonly name: string
  readonly failureThreshold: number
  readonly resetTimeoutMs: number
  /** Default: the error's `retriable` flag. */
  readonly isFailure?: (error: unknown) => boolean
  readonly onStateChange?: (state: CircuitState, previous: CircuitState) => void
  readonly now?: () => number
}

export class CircuitBreaker {
  readonly name: string
  #state: CircuitState = 'closed'
  #failures = 0
  #openedAt = 0
  #trialInFlight = false
  readonly #opts: CircuitBreakerOptions
  readonly #now: () => number
  readonly #isFailure: (error: unknown) => boolean

  constructor(opts: CircuitBreakerOptions) {
    if (!(opts.failureThreshold >= 1)) throw new RangeError('failureThreshold must be at least 1')
    this.name = opts.name
    this.#opts = opts
    this.#now = opts.now ?? Date.now
    this.#isFailure = opts.isFailure ?? isRetriableError
  }

  /** The state as of now: an open breaker whose timeout has passed reads as half-open. */
  get state(): CircuitState {
    if (this.#state === 'open' && this.#now() - this.#openedAt >= this.#opts.resetTimeoutMs)
      this.#set('half-open')
    return this.#state
  }

  async call<T>(fn: () => Promise<T>): Promise<T> {
    const state = this.state
    if (state === 'open' || (state === 'half-open' && this.#trialInFlight)) {
      throw new CircuitOpenError(this.name, this.#openedAt + this.#opts.resetTimeoutMs)
    }
    const trial = state === 'half-open'
    if (trial) this.#trialInFlight = true
    try {
      const result = await fn()
      this.#succeeded()
      return result
    } catch (error) {
      if (this.#isFailure(error)) this.#failed(trial)
      else this.#succeeded()
      throw error
    } finally {
      if (trial) this.#trialInFlight = false
    }
  }

  #succeeded(): void {
    this.#failures = 0
    if (this.#state !== 'closed') this.#set('closed')
  }

  #failed(trial: boolean): void {
    this.#failures++
    if (trial || (this.#state === 'closed' && this.#failures >= this.#opts.failureThreshold)) {
      this.#openedAt = this.#now()
      this.#set('open')
    }
  }

  #set(next: CircuitState): void {
    const previous = this.#state
    if (previous === next) return
    this.#state = next
    this.#opts.onStateChange?.(next, previous)
  }
}
