/**
 * The write path for every layer: an insert goes through the breaker and is retried on retriable
 * errors only, for as long as ClickHouse stays down — a batch is never dropped, the consumer simply
 * stops committing offsets. A retried insert that did land the first time is harmless: the tables
 * are ReplacingMergeTree on (topic, partition, offset), and identical blocks are deduplicated where
 * the engine supports it.
 */

import type { ClickHouse } from '../../clickhouse/client.ts'
import type { InsertBody, InsertFormat } from '../../clickhouse/insert-body.ts'
import type { CircuitBreaker } from '../../resilience/circuit-breaker.ts'
import { isRetriableError, type RetryOptions, realSleep, retry } from '../../resilience/retry.ts'

export interface InsertWait {
  readonly table: string
  readonly rows: number
  /** Retries so far for this insert. */
  readonly attempt: number
  readonly error: unknown
  /** Time still to wait before the next attempt. */
  readonly remainingMs: number
}

export interface InserterOptions {
  readonly retry?: Omit<RetryOptions, 'isRetriable' | 'onRetry'>
  readonly breaker: CircuitBreaker
  /**
   * Called when a wait starts and again at least every `waitSliceMs` while it lasts: the caller
   * heartbeats Kafka here so a long outage does not cost the consumer its partitions. Throwing
   * (e.g. the consumer is shutting down) abandons the insert with that error.
   */
  readonly onWait?: (wait: InsertWait) => void | Promise<void>
  readonly waitSliceMs?: number
}

export interface InsertOutcome {
  readonly rows: number
  readonly attempts: number
}

export interface Inserter {
  insertRaw(
    table: string,
    body: InsertBody,
    rows: number,
    format?: InsertFormat,
    token?: string,
    partition?: number,
  ): Promise<InsertOutcome>
}

const DEFAULT_RETRY = { retries: Number.POSITIVE_INFINITY, baseMs: 200, maxMs: 10_000, jitter: true } as const

export function createInserter(ch: ClickHouse, opts: InserterOptions): Inserter {
  const retryOpts = { ...DEFAULT_RETRY, ...opts.retry }
  const sleep = retryOpts.sleep ?? realSleep
  const slice = opts.waitSliceMs ?? 3_000
  return {
    async insertRaw(table, body, rows, format, token, partition) {
      let attempts = 0
      let current: Omit<InsertWait, 'remainingMs'> | undefined
      // Sleeping in slices lets onWait run (heartbeat) throughout a long backoff, not only at its start.
      const slicedSleep = async (ms: number, signal?: AbortSignal) => {
        for (let left = ms; ; ) {
          if (current && opts.onWait) await opts.onWait({ ...current, remainingMs: left })
          if (left <= 0) return
          const step = Math.min(slice, left)
          await sleep(step, signal)
          left -= step
          if (left <= 0) return
        }
      }
      await retry(
        async () => {
          attempts++
          await opts.breaker.call(() => ch.insertRaw(table, body, format, token, partition))
        },
        {
          ...retryOpts,
          sleep: slicedSleep,
          isRetriable: isRetriableError,
          onRetry: ({ attempt, error }) => {
            current = { table, rows, attempt, error }
          },
        },
      )
      return { rows, attempts }
    },
  }
}
