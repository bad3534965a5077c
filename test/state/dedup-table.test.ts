import assert from 'node:assert/strict'
import { test } from 'node:test'
import { DedupTable, hash64 } from '../../src/state/dedup-table.ts'

test('a held key answers its expiry, per tag; an unknown key answers nothing', () => {
  const t = new DedupTable(100)
  t.set(1, 'ord-1', 5_000, 0)
  assert.equal(t.get(1, 'ord-1'), 5_000)
  assert.equal(t.get(2, 'ord-1'), undefined, 'another partition (tag) has not seen it')
  assert.equal(t.get(1, 'ord-2'), undefined)
  t.set(1, 'ord-1', 9_000, 0)
  assert.equal(t.get(1, 'ord-1'), 9_000, 'setting again moves the expiry')
  assert.equal(t.size, 1)
})

test('never holds more than maxKeys; the newest half is always kept and the dropped live keys are counted', () => {
  const max = 1_000
  const t = new DedupTable(max)
  const n = 10_000
  for (let i = 0; i < n; i++) {
    t.set(1, `ord-${i}`, 1_000_000 + i, 0)
    assert.ok(t.size <= max, `size ${t.size} after ${i + 1} keys`)
  }
  for (let i = n - max / 2; i < n; i++) assert.equal(t.get(1, `ord-${i}`), 1_000_000 + i)
  assert.equal(t.get(1, 'ord-0'), undefined)
  assert.equal(t.evicted + t.size, n, 'every key is held or counted as evicted')
})

test('expired keys dropped to make room are not counted as evictions', () => {
  const t = new DedupTable(10)
  for (let i = 0; i < 20; i++) t.set(1, `k${i}`, 100, 0)
  // All 20 still live at 0 when their generations were dropped: 10 kept, 10 evicted.
  assert.equal(t.evicted, 10)
  for (let i = 20; i < 30; i++) t.set(1, `k${i}`, 1_000, 500)
  assert.equal(t.evicted, 10, 'the keys dropped at 500 had expired at 100')
})

test('tags keep equal keys of different partitions apart in one budget', () => {
  const t = new DedupTable(64)
  for (let i = 0; i < 16; i++) {
    t.set(1, `k${i}`, 10, 0)
    t.set(2, `k${i}`, 20, 0)
  }
  for (let i = 0; i < 16; i++) {
    assert.equal(t.get(1, `k${i}`), 10)
    assert.equal(t.get(2, `k${i}`), 20)
  }
})

test('bad sizes and tags are refused', () => {
  assert.throws(() => new DedupTable(1), /at least 2/)
  assert.throws(() => new DedupTable(1.5), /at least 2/)
  assert.throws(() => new DedupTable(10).set(0, 'k', 1, 0), /tags are > 0/)
})

test('hash64 spreads similar keys over all 64 bits: no collision among 200k sequential ids', () => {
  const seen = new Set<string>()
  const his = new Set<number>()
  for (let i = 0; i < 200_000; i++) {
    const [hi, lo] = hash64(`ord-${i}`)
    seen.add(`${hi}:${lo}`)
    his.add(hi)
  }
  assert.equal(seen.size, 200_000)
  // 32 bits alone collide a few times among 200k (birthday: ~4.7 expected): the high half is used.
  assert.ok(his.size > 199_980)
  assert.deepEqual(hash64('a'), hash64('a'))
  assert.notDeepEqual(hash64('ab'), hash64('ba'))
})

test('admit: a live key is a duplicate; a new or expired one is held until its new expiry, in either generation', () => {
  const t = new DedupTable(4)
  assert.equal(t.admit(1, 'a', 0, 100), true, 'new')
  assert.equal(t.admit(1, 'a', 50, 150), false, 'live at 50: a duplicate, its expiry unchanged')
  assert.equal(t.get(1, 'a'), 100)
  assert.equal(t.admit(2, 'a', 50, 150), true, 'another partition (tag)')
  assert.equal(t.admit(1, 'a', 100, 200), true, 'expired at 100: admitted again')
  assert.equal(t.get(1, 'a'), 200)
  // Two more keys fill the current generation (2 of 4): 'a' moves to the previous one.
  assert.equal(t.admit(1, 'b', 100, 200), true)
  assert.equal(t.admit(1, 'c', 100, 200), true)
  assert.equal(t.admit(1, 'a', 150, 300), false, 'still held in the previous generation')
  assert.equal(t.admit(1, 'a', 250, 300), true, 'expired there: held again, in the current one')
  assert.equal(t.get(1, 'a'), 300)
})
