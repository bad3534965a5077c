import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { WatermarkTracker } from '../../src/windows/watermark.ts'

function setup(outOfOrderness = 5, idleTimeout = 1000) {
  let now = 0
  const tracker = new WatermarkTracker({ outOfOrderness, idleTimeout, now: () => now })
  const advance = (ms: number) => {
    now += ms
  }
  return { tracker, advance }
}

describe('WatermarkTracker', () => {
  it('is -Infinity before any record, then trails the newest event time by outOfOrderness', () => {
    const { tracker } = setup()
    assert.equal(tracker.current(), Number.NEGATIVE_INFINITY)
    tracker.observe(0, 100)
    assert.equal(tracker.current(), 95)
    tracker.observe(0, 90)
    assert.equal(tracker.current(), 95, 'an out-of-order record does not move it back')
    tracker.observe(0, 120)
    assert.equal(tracker.current(), 115)
  })

  it('is held by the slowest partition', () => {
    const { tracker } = setup()
    tracker.observe(0, 100)
    tracker.observe(1, 40)
    assert.equal(tracker.current(), 35)
    assert.equal(tracker.partitionWatermark(0), 95)
    assert.equal(tracker.partitionWatermark(1), 35)
  })

  it('a quiet partition stops holding it after the idle timeout and holds it again once it sends', () => {
    const { tracker, advance } = setup(5, 1000)
    tracker.observe(0, 100)
    tracker.observe(1, 40)
    advance(999)
    tracker.observe(0, 200)
    assert.equal(tracker.current(), 35, 'partition 1 is not idle yet')
    assert.equal(tracker.isIdle(1), false)
    advance(1)
    assert.equal(tracker.isIdle(1), true)
    assert.equal(tracker.current(), 195, 'partition 1 is idle: partition 0 alone decides')
    tracker.observe(1, 300)
    tracker.observe(0, 210)
    assert.equal(tracker.current(), 205, 'partition 1 is back, ahead of partition 0')
    tracker.observe(1, 320)
    advance(500)
    tracker.observe(0, 400)
    assert.equal(tracker.current(), 315, 'partition 1 holds it again')
  })

  it('never goes back, even when a partition returns from idleness behind it', () => {
    const { tracker, advance } = setup(0, 1000)
    tracker.observe(0, 100)
    tracker.observe(1, 500)
    advance(1000)
    tracker.observe(1, 600)
    assert.equal(tracker.current(), 600)
    tracker.observe(0, 150)
    assert.equal(tracker.current(), 600, 'windows it already closed stay closed')
    tracker.observe(1, 700)
    assert.equal(tracker.current(), 600, 'partition 0 holds it until it catches up')
    tracker.observe(0, 650)
    assert.equal(tracker.current(), 650)
  })

  it('when every partition is idle it uses the most advanced one', () => {
    const { tracker, advance } = setup(0, 1000)
    tracker.observe('a', 100)
    tracker.observe('b', 300)
    advance(5000)
    assert.equal(tracker.current(), 300)
  })

  it('an assigned partition holds it before its first record, until it times out', () => {
    const { tracker, advance } = setup(0, 1000)
    tracker.assign([0, 1])
    tracker.observe(0, 100)
    assert.equal(tracker.current(), Number.NEGATIVE_INFINITY)
    advance(1000)
    tracker.observe(0, 110)
    assert.equal(tracker.current(), 110)
    tracker.revoke([0])
    assert.equal(tracker.partitionWatermark(0), Number.NEGATIVE_INFINITY)
  })

  it('lagMs is processing time minus the partition watermark', () => {
    const { tracker, advance } = setup(5, 1000)
    advance(10_000)
    tracker.observe(3, 9_000)
    assert.equal(tracker.lagMs(3), 1005)
    advance(200)
    assert.equal(tracker.lagMs(3), 1205)
    assert.equal(tracker.lagMs(4), Number.POSITIVE_INFINITY)
  })

  it('round-trips through JSON; restored partitions start out active', () => {
    const { tracker, advance } = setup(5, 1000)
    tracker.observe(0, 100)
    tracker.observe(1, 50)
    tracker.assign([2])
    advance(2000)
    tracker.observe(0, 300)
    assert.equal(tracker.current(), 295)
    const json = JSON.stringify(tracker)
    assert.deepEqual(JSON.parse(json), {
      v: 1,
      partitions: { 0: { maxEventTime: 300 }, 1: { maxEventTime: 50 }, 2: { maxEventTime: null } },
      emitted: 295,
    })
    let now = 1_000_000
    const restored = WatermarkTracker.fromJSON(json, { outOfOrderness: 5, idleTimeout: 1000, now: () => now })
    assert.equal(restored.current(), 295, 'never below what was emitted before the restart')
    assert.equal(restored.isIdle(1), false)
    restored.observe(0, 400)
    assert.equal(restored.current(), 295, 'partitions 1 and 2 get their idle timeout again')
    now += 1000
    assert.equal(restored.current(), 395)
  })
})
