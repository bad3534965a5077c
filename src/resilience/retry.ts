/**
 * Retry with exponential backoff and full jitter (delay drawn uniformly from [0, min(max, base*2^n)]),
 * which spreads a fleet of writers out after an outage instead of having them return in lockstep.
 * Time and randomness are injected so tests run in virtual time.
 */

export interface RetryInfo {
  /** 1 for the first retry. */
  readonly attempt: number
  readonly delayMs: number
  readonly error: unknown
}

export interface RetryOptions {
  /** Retries after the first attempt; `Infinity` waits out any outage of a retriable kind. */
  readonly retries: number
  readonly baseMs: number
  readonly maxMs: number
  /** `true` (default): full jitter. `false`: the plain exponential delay, for predictable schedules. */
  readonly jitter?: boolean
  /** Default: the error's own `retriable` flag (TributaryError), so bad input fails at once. */
  readonly isRetriable?: (error: unknown) => boolean
  /** Awaited before each wait; throwing from it stops the retries with that error. */
  readonly onRetry?: (info: RetryInfo) => void | Promise<void>
  readonly signal?: AbortSignal
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>
  /** In [0, 1). */
  readonly random?: () => number
}

export function isRetriableError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { retriable?: unknown }).retriable === true
}

export function backoffDelay(
  retry: number,
  opts: Pick<RetryOptions, 'baseMs' | 'maxMs' | 'jitter' | 'random'>,
): number {
  const ceiling = Math.min(opts.maxMs, opts.baseMs * 2 ** Math.min(retry - 1, 52))
  return opts.jitter === false ? ceiling : Math.floor((opts.random ?? Math.random)() * (ceiling + 1))
}

export async function retry<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions): Promise<T> {
  const isRetriable = opts.isRetriable ?? isRetriableError
  const sleep = opts.sleep ?? realSleep
  for (let attempt = 0; ; attempt++) {
    opts.signal?.throwIfAborted()
    try {
      return await fn(attempt)
    } catch (error) {
      if (attempt >= opts.retries || !isRetriable(error)) throw error
      const info: RetryInfo = { attempt: attempt + 1, delayMs: backoffDelay(attempt + 1, opts), error }
      await opts.onRetry?.(info)
      await sleep(info.delayMs, opts.signal)
    }
  }
}

export function realSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason)
    const onAbort = () => {
      clearTimeout(timer)
      reject(signal?.reason)
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
