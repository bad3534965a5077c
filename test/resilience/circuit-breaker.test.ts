import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { CircuitBreaker, CircuitOpenError, type CircuitState } from '../../src/resilience/circuit-breaker.ts'

const down = Object.assign(new Error('connection refused'), { retriable: true })
const badSql = Object.assign(new Error('syntax error'), { retriable: false })

function setup(threshold = 3, resetMs = 1000) {
  let now = 0
  const changes: string[] = []
  const breaker = new CircuitBreaker({
    name: 'clickhouse',
    failureThreshold: threshold,
    resetTimeoutMs: resetMs,
    now: () => now,
    onStateChange: (s: CircuitState, prev: CircuitState) => changes.push(`${prev}->${s}`),
  })
  const advance = (ms: number) => {
    now += ms
  }
  return { breaker, changes, advance }
}

const fail = (e: Error) => async () => {
  throw e
}

describe('CircuitBreaker', () => {
  it('opens after the threshold of consecutive failures and then fails fast without calling', async () => {
    const { breaker, changes } = setup(3)
    for (let i = 0; i < 3; i++) await assert.rejects(breaker.call(fail(down)), /refused/)
    assert.equal(breaker.state, 'open')
    let called = false
    const err = await breaker
      .call(async () => {
        called = true
      })
      .catch((e: unknown) => e)
    assert.ok(err instanceof CircuitOpenError)
    assert.equal(err.retriable, true)
    assert.equal(err.retryAt, 1000)
    assert.equal(called, false)
    assert.deepEqual(changes, ['closed->open'])
  })

  it('a success in between resets the failure count', async () => {
    const { breaker } = setup(2)
    await assert.rejects(breaker.call(fail(down)))
    await breaker.call(async () => 1)
    await assert.rejects(breaker.call(fail(down)))
    assert.equal(breaker.state, 'closed')
  })

  it('non-retriable errors do not count: the service answered', async () => {
    const { breaker } = setup(1)
    await assert.rejects(breaker.call(fail(badSql)), /syntax/)
    assert.equal(breaker.state, 'closed')
  })

  it('half-opens after the reset timeout, lets one trial through, and closes on its success', async () => {
    const { breaker, changes, advance } = setup(1, 1000)
    await assert.rejects(breaker.call(fail(down)))
    advance(999)
    assert.equal(breaker.state, 'open')
    advance(1)
    assert.equal(breaker.state, 'half-open')
    let release!: () => void
    const trial = breaker.call(() => new Promise<string>((r) => (release = () => r('ok'))))
    await assert.rejects(
      breaker.call(async () => 'second'),
      CircuitOpenError,
    )
    release()
    assert.equal(await trial, 'ok')
    assert.equal(breaker.state, 'closed')
    assert.deepEqual(changes, ['closed->open', 'open->half-open', 'half-open->closed'])
  })

  it('a failed trial reopens for another full timeout', async () => {
    const { breaker, changes, advance } = setup(1, 1000)
    await assert.rejects(breaker.call(fail(down)))
    advance(1000)
    await assert.rejects(breaker.call(fail(down)), /refused/)
    assert.equal(breaker.state, 'open')
    advance(999)
    assert.equal(breaker.state, 'open')
    advance(1)
    assert.equal(breaker.state, 'half-open')
    assert.deepEqual(changes, ['closed->open', 'open->half-open', 'half-open->open', 'open->half-open'])
  })
})
