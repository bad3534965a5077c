import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ConfigError } from '../../src/errors/tributary-error.ts'
import { assignWindows, hopping, session, tumbling } from '../../src/windows/window-spec.ts'

describe('window specs', () => {
  it('parse their durations and default grace to 0', () => {
    assert.deepEqual(tumbling({ size: '1m' }), { kind: 'tumbling', size: 60_000, grace: 0 })
    assert.deepEqual(hopping({ size: '10s', hop: '5s', grace: '1s' }), {
      kind: 'hopping',
      size: 10_000,
      hop: 5000,
      grace: 1000,
    })
    assert.deepEqual(session({ gap: '30s' }), { kind: 'session', gap: 30_000, grace: 0 })
  })

  it('refuse empty windows and hops that leave gaps', () => {
    assert.throws(() => tumbling({ size: 0 }), ConfigError)
    assert.throws(() => session({ gap: '0s' }), /session.gap/)
    assert.throws(() => hopping({ size: '5s', hop: '10s' }), /hop 10000ms is longer than size 5000ms/)
    assert.throws(() => tumbling({ size: '1m', grace: 'soon' }), /tumbling.grace/)
  })
})

describe('assignWindows', () => {
  const t = tumbling({ size: 10 })

  it('tumbling: one epoch-aligned window, start inclusive, end exclusive', () => {
    assert.deepEqual(assignWindows(t, 0), [{ start: 0, end: 10 }])
    assert.deepEqual(assignWindows(t, 9), [{ start: 0, end: 10 }])
    assert.deepEqual(assignWindows(t, 10), [{ start: 10, end: 20 }])
    assert.deepEqual(assignWindows(tumbling({ size: '1m' }), Date.UTC(2024, 0, 1, 12, 34, 56, 789)), [
      { start: Date.UTC(2024, 0, 1, 12, 34), end: Date.UTC(2024, 0, 1, 12, 35) },
    ])
  })

  it('tumbling: negative times align down, and zero is +0', () => {
    assert.deepEqual(assignWindows(t, -1), [{ start: -10, end: 0 }])
    assert.deepEqual(assignWindows(t, -10), [{ start: -10, end: 0 }])
    assert.deepEqual(assignWindows(t, -11), [{ start: -20, end: -10 }])
    assert.ok(Object.is(assignWindows(t, -0)[0]!.start, 0))
    assert.ok(Object.is(assignWindows(t, -10)[0]!.end, 0))
  })

  it('hopping: every window starting at a multiple of hop that contains t, ascending', () => {
    const h = hopping({ size: 10, hop: 5 })
    assert.deepEqual(assignWindows(h, 7), [
      { start: 0, end: 10 },
      { start: 5, end: 15 },
    ])
    assert.deepEqual(assignWindows(h, 5), [
      { start: 0, end: 10 },
      { start: 5, end: 15 },
    ])
    assert.deepEqual(assignWindows(h, 0), [
      { start: -5, end: 5 },
      { start: 0, end: 10 },
    ])
    assert.deepEqual(assignWindows(h, -3), [
      { start: -10, end: 0 },
      { start: -5, end: 5 },
    ])
  })

  it('hopping: a record is in size/hop windows, wherever it falls', () => {
    const h = hopping({ size: '1m', hop: '10s' })
    for (const time of [0, 1, 9_999, 10_000, 59_999, 60_000, 123_456, -1, -60_001]) {
      const ws = assignWindows(h, time)
      assert.equal(ws.length, 6, `t=${time}`)
      for (const w of ws) {
        assert.ok(w.start <= time && time < w.end, `t=${time} in [${w.start}, ${w.end})`)
        assert.ok(w.start % 10_000 === 0, `start ${w.start} is a multiple of the hop`)
        assert.equal(w.end - w.start, 60_000)
      }
    }
  })

  it('hopping with hop = size is tumbling', () => {
    assert.deepEqual(assignWindows(hopping({ size: 10, hop: 10 }), 13), assignWindows(t, 13))
  })

  it('session: the record opens its own gap-long session', () => {
    assert.deepEqual(assignWindows(session({ gap: 30 }), 100), [{ start: 100, end: 130 }])
  })

  it('refuses an event time that is not a number', () => {
    assert.throws(() => assignWindows(t, Number.NaN), /not a finite number/)
  })
})
