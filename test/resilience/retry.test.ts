import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { backoffDelay, retry } from '../../src/resilience/retry.ts'

class Flaky extends Error {
  readonly retriable: boolean
  constructor(retriable: boolean) {
    super(retriable ? 'transient' : 'permanent')
    this.retriable = retriable
  }
}

/** A sleep that records requested delays and returns at once: virtual time. */
function virtualSleep() {
  const slept: number[] = []
  return { slept, sleep: async (ms: number) => void slept.push(ms) }
}

describe('retry', () => {
  it('retries retriable failures with exponential delays capped at maxMs', async () => {
    const { slept, sleep } = virtualSleep()
    let calls = 0
    const result = await retry(
      async () => {
        calls++
        if (calls < 6) throw new Flaky(true)
        return 'done'
      },
      { retries: 10, baseMs: 100, maxMs: 1000, jitter: false, sleep },
    )
    assert.equal(result, 'done')
    assert.equal(calls, 6)
    assert.deepEqual(slept, [100, 200, 400, 800, 1000])
  })

  it('full jitter draws each delay from [0, ceiling]', async () => {
    const { slept, sleep } = virtualSleep()
    const draws = [0, 0.5, 0.999999]
    let calls = 0
    await retry(
      async () => {
        if (++calls <= 3) throw new Flaky(true)
      },
      { retries: 5, baseMs: 100, maxMs: 10_000, sleep, random: () => draws.shift()! },
    )
    assert.deepEqual(slept, [0, 100, 400])
  })

  it('stops at once on a non-retriable error', async () => {
    const { slept, sleep } = virtualSleep()
    let calls = 0
    await assert.rejects(
      retry(
        async () => {
          calls++
          throw new Flaky(false)
        },
        { retries: 5, baseMs: 1, maxMs: 1, sleep },
      ),
      /permanent/,
    )
    assert.equal(calls, 1)
    assert.deepEqual(slept, [])
  })

  it('gives up after `retries` retries with the last error', async () => {
    const { sleep } = virtualSleep()
    let calls = 0
    await assert.rejects(
      retry(
        async () => {
          calls++
          throw new Flaky(true)
        },
        { retries: 3, baseMs: 1, maxMs: 1, sleep },
      ),
      /transient/,
    )
    assert.equal(calls, 4)
  })

  it('reports each retry to onRetry before waiting, and an onRetry throw ends the loop', async () => {
    const { sleep } = virtualSleep()
    const seen: number[] = []
    await assert.rejects(
      retry(
        async () => {
          throw new Flaky(true)
        },
        {
          retries: Number.POSITIVE_INFINITY,
          baseMs: 10,
          maxMs: 10,
          jitter: false,
          sleep,
          onRetry: ({ attempt, delayMs }) => {
            seen.push(attempt * 1000 + delayMs)
            if (attempt === 3) throw new Error('shutting down')
          },
        },
      ),
      /shutting down/,
    )
    assert.deepEqual(seen, [1010, 2010, 3010])
  })

  it('an aborted signal stops before the next attempt', async () => {
    const ac = new AbortController()
    let calls = 0
    await assert.rejects(
      retry(
        async () => {
          calls++
          throw new Flaky(true)
        },
        {
          retries: 100,
          baseMs: 1,
          maxMs: 1,
          signal: ac.signal,
          sleep: async () => {
            if (calls === 2) ac.abort(new Error('stop'))
          },
        },
      ),
      /stop/,
    )
    assert.equal(calls, 2)
  })

  it('backoffDelay never overflows for huge attempt numbers', () => {
    assert.equal(backoffDelay(10_000, { baseMs: 100, maxMs: 5000, jitter: false }), 5000)
  })
})
