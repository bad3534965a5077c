import assert from 'node:assert/strict'
import { test } from 'node:test'
import { map } from 'rxjs'
import { entry } from '../../src/pipeline/entry.ts'

test('every subscriber gets every value, in the order they subscribed, until complete', () => {
  const e = entry<number>()
  const seen: string[] = []
  let completed = 0
  e.observable.subscribe({ next: (v) => seen.push(`a${v}`), complete: () => completed++ })
  e.observable
    .pipe(map((v) => v * 10))
    .subscribe({ next: (v) => seen.push(`b${v}`), complete: () => completed++ })
  e.next(1)
  e.next(2)
  e.complete()
  e.next(3)
  assert.deepEqual(seen, ['a1', 'b10', 'a2', 'b20'])
  assert.equal(completed, 2)
})

test('a subscriber that errors leaves; the others get that value and the next ones', () => {
  const e = entry<number>()
  const seen: string[] = []
  const errors: unknown[] = []
  e.observable
    .pipe(
      map((v) => {
        if (v === 2) throw new Error('boom')
        return v
      }),
    )
    .subscribe({ next: (v) => seen.push(`a${v}`), error: (err) => errors.push(err) })
  e.observable.subscribe((v) => seen.push(`b${v}`))
  for (const v of [1, 2, 3]) e.next(v)
  assert.deepEqual(seen, ['a1', 'b1', 'b2', 'b3'])
  assert.equal(errors.length, 1)
})

test('an unsubscribed subscriber gets nothing more', () => {
  const e = entry<number>()
  const seen: number[] = []
  const sub = e.observable.subscribe((v) => seen.push(v))
  e.next(1)
  sub.unsubscribe()
  e.next(2)
  assert.deepEqual(seen, [1])
})
