import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { ClickHouse } from '../../../src/clickhouse/client.ts'
import { ClickHouseError } from '../../../src/clickhouse/errors.ts'
import { CircuitBreaker } from '../../../src/resilience/circuit-breaker.ts'
import { createInserter, type InsertWait } from '../../../src/sinks/clickhouse/inserter.ts'

const down = () => new ClickHouseError('CLICKHOUSE_UNAVAILABLE', 'down', { retriable: true })
const badSql = () => new ClickHouseError('CLICKHOUSE_QUERY_FAILED', 'bad', { retriable: false })

/** Only insertRaw is exercised; it fails with the scripted errors, then succeeds. */
function fakeClickHouse(script: (() => Error)[]) {
  const bodies: string[] = []
  const ch = {
    kind: 'chdb',
    insertRaw: async (_table: string, body: string) => {
      const next = script.shift()
      if (next) throw next()
      bodies.push(body)
    },
  } as unknown as ClickHouse
  return { ch, bodies }
}

function virtualClock() {
  let now = 0
  const slept: number[] = []
  return {
    now: () => now,
    slept,
    sleep: async (ms: number) => {
      slept.push(ms)
      now += ms
    },
  }
}

describe('inserter', () => {
  it('waits out an outage through the breaker and delivers the batch once', async () => {
    const clock = virtualClock()
    const { ch, bodies } = fakeClickHouse(Array.from({ length: 6 }, () => down))
    const states: string[] = []
    const breaker = new CircuitBreaker({
      name: 'ch',
      failureThreshold: 3,
      resetTimeoutMs: 1000,
      now: clock.now,
      onStateChange: (s) => states.push(s),
    })
    const waits: InsertWait[] = []
    const inserter = createInserter(ch, {
      breaker,
      retry: {
        retries: Number.POSITIVE_INFINITY,
        baseMs: 100,
        maxMs: 800,
        jitter: false,
        sleep: clock.sleep,
      },
      onWait: (w) => void waits.push(w),
      waitSliceMs: 250,
    })
    const outcome = await inserter.insertRaw('bronze_x', '{"a":1}\n', 1)
    assert.deepEqual(bodies, ['{"a":1}\n'])
    assert.equal(outcome.rows, 1)
    assert.ok(
      outcome.attempts > 7,
      `attempts ${outcome.attempts}: calls rejected by the open breaker count too`,
    )
    assert.deepEqual(states.slice(0, 2), ['open', 'half-open'])
    assert.equal(breaker.state, 'closed')
    // Slices: every wait longer than one slice reports again while it lasts.
    assert.ok(clock.slept.every((ms) => ms <= 250))
    assert.ok(waits.some((w) => w.remainingMs < 800 && w.remainingMs > 0))
    assert.equal(waits[0]?.table, 'bronze_x')
  })

  it('does not retry a rejected statement', async () => {
    const clock = virtualClock()
    const { ch, bodies } = fakeClickHouse([badSql])
    const breaker = new CircuitBreaker({
      name: 'ch',
      failureThreshold: 1,
      resetTimeoutMs: 1000,
      now: clock.now,
    })
    const inserter = createInserter(ch, {
      breaker,
      retry: { retries: 5, baseMs: 1, maxMs: 1, sleep: clock.sleep },
    })
    await assert.rejects(inserter.insertRaw('t', 'x', 1), /bad/)
    assert.deepEqual(bodies, [])
    assert.deepEqual(clock.slept, [])
    assert.equal(breaker.state, 'closed')
  })

  it('an onWait that throws (consumer shutting down) abandons the insert', async () => {
    const clock = virtualClock()
    const { ch } = fakeClickHouse(Array.from({ length: 100 }, () => down))
    const breaker = new CircuitBreaker({
      name: 'ch',
      failureThreshold: 100,
      resetTimeoutMs: 1,
      now: clock.now,
    })
    let waits = 0
    const inserter = createInserter(ch, {
      breaker,
      retry: { retries: Number.POSITIVE_INFINITY, baseMs: 10, maxMs: 10, sleep: clock.sleep },
      onWait: () => {
        if (++waits === 3) throw new Error('rebalance')
      },
    })
    await assert.rejects(inserter.insertRaw('t', 'x', 1), /rebalance/)
    assert.equal(waits, 3)
  })
})
