import type { Logger } from 'pino'
import { envName } from '../config/config.ts'
import { redactUrl } from '../config/url-credentials.ts'
import { TributaryError } from '../errors/tributary-error.ts'

/** A service the engine depends on, and the setting that says where it is. */
export interface Dependency {
  readonly name: string
  readonly setting: string
}

export const DEPENDENCIES = {
  registry: { name: 'the schema registry', setting: 'registry.url' },
  redis: { name: 'Redis', setting: 'redis.url' },
  clickhouse: { name: 'ClickHouse', setting: 'clickhouse.url' },
  kafka: { name: 'Kafka', setting: 'kafka.brokers' },
} as const satisfies Record<string, Dependency>

/** A wait given up because the engine is stopping: not a failure, nothing was made durable by it. */
export class StopRequested extends Error {}

/** First warning after this long waiting, then one every WAIT_LOG_EVERY_MS: a bounded rate. */
const WAIT_LOG_FIRST_MS = 2_000
const WAIT_LOG_EVERY_MS = 10_000

function where(dep: Dependency): string {
  return `${dep.setting} (${envName(dep.setting)})`
}

/**
 * Awaits `work` (typically a retry loop that reports each failure through `note`), logging at
 * warn what it waits for and the setting that points there, first after 2 s and then every 10 s.
 * Rejects with the signal's reason as soon as it is aborted: the engine stops within a bound even
 * while a dependency never answers (the abandoned work's result is dropped).
 */
export async function waitOn<T>(
  dep: Dependency,
  what: string,
  work: (note: (error: unknown) => void) => Promise<T>,
  { log, signal }: { log: Logger; signal: AbortSignal },
): Promise<T> {
  signal.throwIfAborted()
  const started = Date.now()
  let lastError: unknown
  const warn = () =>
    log.warn(
      {
        dependency: dep.name,
        setting: dep.setting,
        env: envName(dep.setting),
        waitedMs: Date.now() - started,
        ...(lastError === undefined ? {} : { lastError: String((lastError as Error).message ?? lastError) }),
      },
      `waiting for ${dep.name} (${what}); if it stays unreachable, check ${where(dep)}`,
    )
  let timer = setTimeout(function tick() {
    warn()
    timer = setTimeout(tick, WAIT_LOG_EVERY_MS)
  }, WAIT_LOG_FIRST_MS)
  let onAbort!: () => void
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
  })
  try {
    return await Promise.race([
      work((error) => {
        lastError = error
      }),
      aborted,
    ])
  } finally {
    clearTimeout(timer)
    signal.removeEventListener('abort', onAbort)
  }
}

/**
 * A start-up step that needs `dep`: its failure becomes one message naming the setting, its value
 * (credentials masked) and the fix, instead of the client library's own words alone.
 */
export async function reach<T>(
  dep: Dependency,
  value: string,
  step: string,
  fn: () => Promise<T>,
): Promise<T> {
  try {
    return await fn()
  } catch (cause) {
    if (cause instanceof StopRequested) throw cause
    throw new TributaryError(
      'DEPENDENCY_UNREACHABLE',
      `${dep.name} at ${redactUrl(value)} failed during ${step}: ${(cause as Error).message ?? cause}. Fix: check ${where(dep)} points at a running ${dep.name}, or start it (npm run stack:up)`,
      { cause },
    )
  }
}

/** A warning per dependency at most every 10 s, for waits that report themselves one retry at a time. */
export function throttledWaitLog(log: Logger, dep: Dependency): (what: string, error: unknown) => void {
  let last = 0
  return (what, error) => {
    if (Date.now() - last < WAIT_LOG_EVERY_MS) return
    last = Date.now()
    log.warn(
      {
        dependency: dep.name,
        setting: dep.setting,
        env: envName(dep.setting),
        lastError: String((error as Error)?.message ?? error),
      },
      `waiting for ${dep.name} (${what}); if it stays unreachable, check ${where(dep)}`,
    )
  }
}
