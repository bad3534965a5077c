import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ConfigError } from '../../src/errors/tributary-error.ts'
import { parseDuration } from '../../src/windows/durations.ts'

describe('parseDuration', () => {
  it('reads the units a topology author writes', () => {
    assert.equal(parseDuration('500ms'), 500)
    assert.equal(parseDuration('10s'), 10_000)
    assert.equal(parseDuration('1m'), 60_000)
    assert.equal(parseDuration('5m'), 300_000)
    assert.equal(parseDuration('24h'), 86_400_000)
    assert.equal(parseDuration('7d'), 604_800_000)
    assert.equal(parseDuration('1.1s'), 1100)
    assert.equal(parseDuration(' 2 s '), 2000)
  })

  it('takes plain milliseconds, zero included', () => {
    assert.equal(parseDuration(1500), 1500)
    assert.equal(parseDuration(0), 0)
    assert.equal(parseDuration('0s'), 0)
  })

  it('names the bad value and the setting', () => {
    for (const bad of [
      '10',
      '10 minutes',
      '-1s',
      '1y',
      '',
      'fast',
      -5,
      Number.NaN,
      Number.POSITIVE_INFINITY,
    ]) {
      assert.throws(
        () => parseDuration(bad, 'tumbling.size'),
        (e: unknown) =>
          e instanceof ConfigError &&
          e.field === 'tumbling.size' &&
          e.message.includes(JSON.stringify(bad)) &&
          e.message.includes("'10s'"),
      )
    }
  })

  it('refuses fractions of a millisecond', () => {
    assert.throws(() => parseDuration('0.5ms'), /whole number of milliseconds/)
    assert.throws(() => parseDuration(1.5), /whole number of milliseconds/)
  })
})
