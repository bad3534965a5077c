import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  avg,
  count,
  defineAggregate,
  distinctCount,
  max,
  reduce,
  sum,
} from '../../src/windows/aggregations.ts'
import { hopping, session, tumbling, type WindowSpec } from '../../src/windows/window-spec.ts'
import {
  snapshotFromChanges,
  WindowAggregator,
  type WindowEntry,
  type WindowResult,
  windowId,
} from '../../src/windows/window-store.ts'

interface Click {
  user: string
  page: string
  ms: number
}

const aggregate = defineAggregate<Click>({
  clicks: count(),
  totalMs: sum((c) => c.ms),
  longest: max((c) => c.ms),
  meanMs: avg((c) => c.ms),
  pages: distinctCount((c) => c.page),
})

const click = (user: string, page: string, ms = 1): Click => ({ user, page, ms })

function aggregator(window: WindowSpec) {
  return new WindowAggregator<Click>({ window, aggregate })
}

/** key, [start, end), count and version: enough to read a test's expectation at a glance. */
const brief = (rs: WindowResult[]) =>
  rs.map((r) => `${r.key}[${r.start},${r.end}) n=${r.values.clicks} v${r.version}${r.final ? ' final' : ''}`)

/** The results without their accumulators (which gold partial rows read, tested there). */
const withoutAccs = (rs: WindowResult[]) => rs.map(({ accs: _, ...r }) => r)

describe('WindowAggregator: tumbling and hopping', () => {
  it('aggregates per key and window and emits each window once, when the watermark passes its end', () => {
    const w = aggregator(tumbling({ size: 10 }))
    w.add(click('u1', 'a', 5), 'u1', 1, 0)
    w.add(click('u1', 'b', 7), 'u1', 9, 0)
    w.add(click('u2', 'a', 3), 'u2', 5, 0)
    w.add(click('u1', 'a', 2), 'u1', 12, 0)
    assert.equal(w.openWindows, 3)
    assert.deepEqual(w.closeUpTo(9), [])
    const closed = withoutAccs(w.closeUpTo(10))
    assert.deepEqual(closed, [
      {
        key: 'u1',
        start: 0,
        end: 10,
        values: { clicks: 2, totalMs: 12, longest: 7, meanMs: 6, pages: 2 },
        version: 1,
        final: true,
      },
      {
        key: 'u2',
        start: 0,
        end: 10,
        values: { clicks: 1, totalMs: 3, longest: 3, meanMs: 3, pages: 1 },
        version: 1,
        final: true,
      },
    ])
    assert.equal(w.openWindows, 1)
    assert.deepEqual(w.closeUpTo(10), [], 'never twice')
  })

  it("a key's records going back and forth between two windows count in each", () => {
    const w = aggregator(tumbling({ size: 10 }))
    for (const t of [1, 12, 3, 14, 15, 4, 2]) w.add(click('u', 'a'), 'u', t, 0)
    assert.deepEqual(brief(w.closeUpTo(20)), ['u[0,10) n=4 v1 final', 'u[10,20) n=3 v1 final'])
    assert.deepEqual(w.add(click('u', 'a'), 'u', 19, 20), { late: true })
    w.add(click('u', 'a'), 'u', 21, 20)
    assert.deepEqual(brief(w.closeUpTo(30)), ['u[20,30) n=1 v1 final'])
  })

  it('final emission is ordered by end, then start, then key, whatever the arrival order', () => {
    const w = aggregator(hopping({ size: 10, hop: 5 }))
    w.add(click('b', 'x'), 'b', 12, 0)
    w.add(click('a', 'x'), 'a', 3, 0)
    w.add(click('c', 'x'), 'c', 7, 0)
    w.add(click('a', 'x'), 'a', 14, 0)
    assert.deepEqual(brief(w.closeUpTo(100)), [
      'a[-5,5) n=1 v1 final',
      'a[0,10) n=1 v1 final',
      'c[0,10) n=1 v1 final',
      'a[5,15) n=1 v1 final',
      'b[5,15) n=1 v1 final',
      'c[5,15) n=1 v1 final',
      'a[10,20) n=1 v1 final',
      'b[10,20) n=1 v1 final',
    ])
  })

  it('a record within grace is accepted and updates its window; beyond grace it is late', () => {
    const w = aggregator(tumbling({ size: 10, grace: 5 }))
    w.add(click('u', 'a'), 'u', 1, 0)
    assert.deepEqual(w.add(click('u', 'b'), 'u', 8, 14), { late: false }, 'end 10 + grace 5 > 14')
    assert.deepEqual(w.closeUpTo(14), [])
    assert.deepEqual(w.add(click('u', 'c'), 'u', 9, 15), { late: true }, 'end 10 + grace 5 <= 15')
    assert.deepEqual(brief(w.closeUpTo(15)), ['u[0,10) n=2 v1 final'])
    assert.deepEqual(w.add(click('u', 'd'), 'u', 2, 15), { late: true }, 'a closed window never reopens')
    assert.equal(w.openWindows, 0)
  })

  it('the watermark only goes forward: a lower one passed later reopens nothing', () => {
    const w = aggregator(tumbling({ size: 10 }))
    w.add(click('u', 'a'), 'u', 1, 20)
    assert.equal(w.watermark, 20)
    assert.deepEqual(w.add(click('u', 'a'), 'u', 1, 0), { late: true })
    assert.equal(w.openWindows, 0)
  })

  it('a hopping record is late only when every one of its windows has closed', () => {
    const w = aggregator(hopping({ size: 10, hop: 5 }))
    assert.deepEqual(w.add(click('u', 'a'), 'u', 7, 10), { late: false }, '[0,10) closed, [5,15) open')
    assert.deepEqual(brief(w.closeUpTo(15)), ['u[5,15) n=1 v1 final'])
    assert.deepEqual(w.add(click('u', 'a'), 'u', 7, 15), { late: true })
  })

  it('early updates: changed windows only, version rising with each emission, final highest', () => {
    const w = aggregator(tumbling({ size: 10 }))
    w.add(click('u', 'a'), 'u', 1, 0)
    w.add(click('v', 'a'), 'v', 2, 0)
    assert.deepEqual(brief(w.updates()), ['u[0,10) n=1 v1', 'v[0,10) n=1 v1'])
    assert.deepEqual(w.updates(), [], 'nothing changed since')
    w.add(click('u', 'b'), 'u', 3, 0)
    assert.deepEqual(brief(w.updates()), ['u[0,10) n=2 v2'])
    w.add(click('u', 'c'), 'u', 4, 0)
    assert.deepEqual(brief(w.updates()), ['u[0,10) n=3 v3'])
    w.add(click('v', 'b'), 'v', 5, 10)
    assert.deepEqual(w.updates(), [], 'closed by the watermark: its next emission is the final one')
    assert.deepEqual(brief(w.closeUpTo(10)), ['u[0,10) n=3 v4 final', 'v[0,10) n=1 v2 final'])
  })
})

describe('WindowAggregator: sessions', () => {
  it('records less than gap apart share a session; gap or more apart start a new one', () => {
    const w = aggregator(session({ gap: 10 }))
    w.add(click('u', 'a'), 'u', 0, 0)
    w.add(click('u', 'b'), 'u', 9, 0)
    w.add(click('u', 'c'), 'u', 19, 0)
    assert.deepEqual(brief(w.closeUpTo(100)), ['u[0,19) n=2 v1 final', 'u[19,29) n=1 v1 final'])
  })

  it('a late record within grace bridges two sessions, which merge with merged aggregates', () => {
    const w = aggregator(session({ gap: 10, grace: 20 }))
    w.add(click('u', 'home', 4), 'u', 0, 0)
    w.add(click('u', 'cart', 6), 'u', 5, 0)
    w.add(click('u', 'home', 1), 'u', 20, 0)
    w.add(click('v', 'home', 1), 'v', 12, 0)
    assert.equal(w.openWindows, 3)
    assert.deepEqual(brief(w.updates()), ['u[0,15) n=2 v1', 'v[12,22) n=1 v1', 'u[20,30) n=1 v1'])
    // Watermark 25: [0,15) is past its end but within grace (15 + 20 > 25). [12,22) touches both.
    assert.deepEqual(w.add(click('u', 'checkout', 9), 'u', 12, 25), { late: false })
    assert.equal(w.openWindows, 2)
    assert.deepEqual(w.takeRetractions(), [{ key: 'u', start: 20, end: 30, version: 2 }])
    assert.deepEqual(w.takeRetractions(), [])
    assert.deepEqual(withoutAccs(w.updates()), [
      {
        key: 'u',
        start: 0,
        end: 30,
        values: { clicks: 4, totalMs: 20, longest: 9, meanMs: 5, pages: 3 },
        version: 2,
        final: false,
      },
    ])
    assert.deepEqual(brief(w.closeUpTo(60)), ['v[12,22) n=1 v2 final', 'u[0,30) n=4 v3 final'])
  })

  it('a session keeps its id when it grows at the end, and takes the new start when it grows at the front', () => {
    const w = aggregator(session({ gap: 10, grace: 100 }))
    w.add(click('u', 'a'), 'u', 20, 0)
    w.takeChanges()
    w.add(click('u', 'a'), 'u', 25, 0)
    assert.deepEqual(Object.keys(w.takeChanges().upserts), [windowId('u', 20)])
    w.add(click('u', 'a'), 'u', 15, 0)
    const changes = w.takeChanges()
    assert.deepEqual(Object.keys(changes.upserts), [windowId('u', 15)])
    assert.deepEqual(changes.deletes, [windowId('u', 20)])
    assert.deepEqual(w.takeRetractions(), [], 'never emitted, nothing to retract')
    assert.deepEqual(brief(w.closeUpTo(1000)), ['u[15,35) n=3 v1 final'])
  })

  it('a record is late when the session it would form has closed; a closed session is never joined', () => {
    const w = aggregator(session({ gap: 10, grace: 5 }))
    w.add(click('u', 'a'), 'u', 0, 0)
    assert.deepEqual(w.add(click('u', 'a'), 'u', 4, 20), { late: true }, '[0,10) closed at 15, [4,14) at 19')
    // Its session closed, so it cannot join it; on its own it is still open, as in Flink.
    assert.deepEqual(w.add(click('u', 'a'), 'u', 8, 20), { late: false }, '[8,18) closes at 23')
    assert.deepEqual(brief(w.closeUpTo(30)), ['u[0,10) n=1 v1 final', 'u[8,18) n=1 v1 final'])
  })

  it('a session closed but not yet emitted does not clash with a new session of the same start', () => {
    const steps = (w: WindowAggregator<Click>, closeBetween: boolean) => {
      const out: string[] = []
      w.add(click('u', 'a'), 'u', 0, 0)
      w.add(click('u', 'b'), 'u', 5, 10)
      if (closeBetween) out.push(...brief(w.closeUpTo(10)))
      // [0,5) opens beside the closed [0,10) and merges with [5,15): the new session starts at 0 too.
      w.add(click('u', 'c'), 'u', 0, 10)
      if (!closeBetween) {
        assert.equal(w.openWindows, 2)
        const restored = aggregator(w.spec)
        restored.restore(JSON.stringify(w.snapshot()))
        w = restored
      }
      out.push(...brief(w.closeUpTo(100)))
      return out
    }
    const expected = ['u[0,10) n=1 v1 final', 'u[0,15) n=2 v1 final']
    assert.deepEqual(steps(aggregator(session({ gap: 10 })), true), expected)
    assert.deepEqual(steps(aggregator(session({ gap: 10 })), false), expected)
  })

  it('refuses a reducer without merge up front', () => {
    const noMerge = reduce<Click, number>({ init: () => 0, add: (n) => n + 1, result: (n) => n })
    assert.throws(
      () => new WindowAggregator<Click>({ window: session({ gap: 10 }), aggregate: { n: noMerge } }),
      /no merge/,
    )
    assert.doesNotThrow(
      () => new WindowAggregator<Click>({ window: tumbling({ size: 10 }), aggregate: { n: noMerge } }),
    )
  })
})

type Step =
  | { kind: 'add'; user: string; page: string; t: number; wm: number }
  | { kind: 'close'; wm: number }
  | { kind: 'updates' }

/** A deterministic mixed workload, with updates and closes interleaved, keyed over a few users. */
function workload(n: number): Step[] {
  const steps: Step[] = []
  let seed = 42
  const rand = (m: number) => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31
    return seed % m
  }
  for (let i = 0; i < n; i++) {
    const wm = i * 3 - 20
    steps.push({ kind: 'add', user: `u${rand(4)}`, page: `p${rand(6)}`, t: i * 3 - rand(50), wm })
    if (i % 7 === 0) steps.push({ kind: 'updates' })
    if (i % 11 === 0) steps.push({ kind: 'close', wm })
  }
  steps.push({ kind: 'close', wm: Number.POSITIVE_INFINITY })
  return steps
}

function run(w: WindowAggregator<Click>, steps: Step[]): unknown[] {
  const out: unknown[] = []
  for (const s of steps) {
    if (s.kind === 'add') out.push(w.add(click(s.user, s.page, s.t % 13), s.user, s.t, s.wm))
    else if (s.kind === 'close') out.push(w.closeUpTo(s.wm))
    else out.push(w.updates(), w.takeRetractions())
  }
  return out
}

describe('WindowAggregator: determinism and checkpoints', () => {
  for (const spec of [
    tumbling({ size: 20, grace: 5 }),
    hopping({ size: 30, hop: 10 }),
    session({ gap: 8, grace: 10 }),
  ]) {
    it(`${spec.kind}: the same input gives the same results and versions`, () => {
      const steps = workload(300)
      const out = run(aggregator(spec), steps)
      assert.deepEqual(run(aggregator(spec), steps), out)
      const flat = out.flat() as { late?: boolean; final?: boolean }[]
      assert.ok(
        flat.some((x) => x.late === true),
        'the workload has late records',
      )
      assert.ok(
        flat.some((x) => x.final === false),
        'and early updates',
      )
    })

    it(`${spec.kind}: a snapshot restored into a fresh aggregator gives identical results from there on`, () => {
      const steps = workload(300)
      const original = aggregator(spec)
      run(original, steps.slice(0, 150))
      const snapshot = JSON.stringify(original.snapshot())
      const restored = aggregator(spec)
      restored.restore(snapshot)
      assert.equal(restored.openWindows, original.openWindows)
      assert.deepEqual(restored.snapshot(), original.snapshot())
      assert.deepEqual(run(restored, steps.slice(150)), run(original, steps.slice(150)))
    })

    it(`${spec.kind}: incremental changes replayed into a key-value store rebuild the same state`, () => {
      const steps = workload(300)
      const live = aggregator(spec)
      const hash = new Map<string, string>()
      let meta = ''
      for (let i = 0; i < steps.length; i += 37) {
        run(live, steps.slice(i, i + 37))
        const changes = live.takeChanges()
        for (const [id, entry] of Object.entries(changes.upserts)) hash.set(id, entry)
        for (const id of changes.deletes) hash.delete(id)
        meta = changes.meta
        const restored = aggregator(spec)
        // A hash hands its fields back in no particular order.
        restored.restore(snapshotFromChanges(meta, [...hash.values()].reverse()))
        assert.deepEqual(restored.snapshot(), live.snapshot(), `after step ${i + 37}`)
        for (const [id, entry] of hash) {
          const e: WindowEntry = JSON.parse(entry)
          assert.equal(id, windowId(e.key, e.start))
        }
      }
    })
  }

  it('takeChanges reports only what changed since the last call', () => {
    const w = aggregator(tumbling({ size: 10 }))
    w.add(click('u', 'a'), 'u', 1, 0)
    w.add(click('v', 'a'), 'v', 11, 0)
    const first = w.takeChanges()
    assert.deepEqual(Object.keys(first.upserts), [windowId('u', 0), windowId('v', 10)])
    assert.deepEqual(first.deletes, [])
    assert.deepEqual(JSON.parse(first.meta), {
      v: 1,
      window: w.spec,
      watermark: 0,
      retractions: [],
      closed: [],
    })
    assert.deepEqual(Object.keys(w.takeChanges().upserts), [], 'nothing since')
    w.add(click('v', 'b'), 'v', 12, 0)
    w.closeUpTo(10)
    const second = w.takeChanges()
    assert.deepEqual(Object.keys(second.upserts), [windowId('v', 10)])
    assert.deepEqual(second.deletes, [windowId('u', 0)])
    assert.deepEqual(JSON.parse(second.upserts[windowId('v', 10)]!), {
      key: 'v',
      start: 10,
      end: 20,
      accs: { clicks: 2, totalMs: 2, longest: 1, meanMs: [2, 2], pages: ['a', 'b'] },
      version: 0,
      pending: true,
    })
    w.updates()
    assert.deepEqual(
      Object.keys(w.takeChanges().upserts),
      [windowId('v', 10)],
      'the version bump is state too',
    )
  })

  it('restoring refuses a checkpoint of another window or aggregate declaration', () => {
    const w = aggregator(tumbling({ size: 10 }))
    w.add(click('u', 'a'), 'u', 1, 0)
    const snapshot = w.snapshot()
    assert.throws(() => aggregator(tumbling({ size: 20 })).restore(snapshot), /checkpoint was taken with/)
    const wider = new WindowAggregator<Click>({
      window: tumbling({ size: 10 }),
      aggregate: { ...aggregate, extra: count() },
    })
    assert.throws(() => wider.restore(snapshot), /aggregate.extra/)
  })

  it('counts open windows and approximates their size', () => {
    const w = aggregator(tumbling({ size: 10 }))
    assert.equal(w.sizeBytes, 0)
    w.add(click('u', 'a'), 'u', 1, 0)
    const one = w.sizeBytes
    assert.ok(one > 100 && one < 1000, `${one}`)
    for (let i = 0; i < 100; i++) w.add(click('u', `page-${i}`), 'u', 2, 0)
    assert.ok(w.sizeBytes > one + 100 * 8, 'the distinct set grows it')
    w.add(click('v', 'a'), 'v', 1, 0)
    assert.equal(w.openWindows, 2)
    w.closeUpTo(10)
    assert.equal(w.openWindows, 0)
    assert.equal(w.sizeBytes, 0)
  })
})
