import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ConfigError } from '../../src/errors/tributary-error.ts'
import {
  type Aggregate,
  type Aggregation,
  addAll,
  aggregateColumns,
  avg,
  count,
  defineAggregate,
  distinctCount,
  initAll,
  type JsonValue,
  max,
  mergeAll,
  min,
  reduce,
  resultAll,
  sum,
} from '../../src/windows/aggregations.ts'

interface Order {
  customer: string
  amount: number | null
}

const orders: Order[] = [
  { customer: 'a', amount: 10 },
  { customer: 'b', amount: 2.5 },
  { customer: 'a', amount: null },
  { customer: 'c', amount: -4 },
  { customer: 'b', amount: 30 },
]

/** Folds the records the way the window store does, round-tripping through JSON between each. */
function fold(a: Aggregation<Order>, records: Order[]): JsonValue {
  let acc = a.init()
  for (const r of records) acc = JSON.parse(JSON.stringify(a.add(acc, r)))
  return acc
}

function check(a: Aggregation<Order>, expected: number): void {
  assert.equal(a.result(fold(a, orders)), expected)
  // Any split of the records, merged, gives the same result: what a session merge relies on.
  for (let cut = 0; cut <= orders.length; cut++) {
    const merged = a.merge(fold(a, orders.slice(0, cut)), fold(a, orders.slice(cut)))
    assert.equal(a.result(merged), expected, `${a.kind} split at ${cut}`)
  }
}

describe('aggregations', () => {
  it('count counts records', () => check(count(), 5))
  it('sum skips nulls', () =>
    check(
      sum((o: Order) => o.amount),
      38.5,
    ))
  it('min', () =>
    check(
      min((o: Order) => o.amount),
      -4,
    ))
  it('max', () =>
    check(
      max((o: Order) => o.amount),
      30,
    ))
  it('avg averages the non-null values, also across a merge', () =>
    check(
      avg((o: Order) => o.amount),
      38.5 / 4,
    ))
  it('distinctCount is exact', () =>
    check(
      distinctCount((o: Order) => o.customer),
      3,
    ))

  it('min, max and avg over no values are NaN; sum is 0', () => {
    const none: Order[] = [{ customer: 'x', amount: null }]
    const amount = (o: Order) => o.amount
    const over = (a: Aggregation<Order>) => a.result(fold(a, none))
    assert.ok(Number.isNaN(over(min(amount))))
    assert.ok(Number.isNaN(over(max(amount))))
    assert.ok(Number.isNaN(over(avg(amount))))
    assert.equal(over(sum(amount)), 0)
    assert.equal(over(count()), 1)
    assert.equal(count().result(count().init()), 0)
  })

  it('distinct values are kept sorted and unique in plain JSON', () => {
    const d = distinctCount((o: { id: string | number }) => o.id)
    let acc = d.init()
    for (const id of ['m', 'b', 'z', 'b', 1, '1', 'a']) acc = d.add(acc, { id })
    assert.deepEqual(acc, ['1', 'a', 'b', 'm', 'z'])
    assert.deepEqual(d.merge(['a', 'q'], ['b', 'q', 'r']), ['a', 'b', 'q', 'r'])
  })

  it('a user reducer, with merge, works like a built-in', () => {
    type Spread = { lo: number | null; hi: number | null }
    const spread = reduce<Order, Spread>({
      init: () => ({ lo: null, hi: null }),
      add: (acc, o) =>
        o.amount === null
          ? acc
          : { lo: Math.min(acc.lo ?? o.amount, o.amount), hi: Math.max(acc.hi ?? o.amount, o.amount) },
      merge: (a, b) => ({
        lo: a.lo === null ? b.lo : b.lo === null ? a.lo : Math.min(a.lo, b.lo),
        hi: a.hi === null ? b.hi : b.hi === null ? a.hi : Math.max(a.hi, b.hi),
      }),
      result: (acc) => (acc.hi ?? 0) - (acc.lo ?? 0),
    })
    assert.equal(spread.kind, 'reduce')
    assert.equal(spread.mergeable, true)
    check(spread, 34)
  })

  it('a reducer without merge says so when merged', () => {
    const r = reduce<Order, number>({
      init: () => 0,
      add: (n) => n + 1,
      result: (n) => n,
      columnType: 'UInt64',
    })
    assert.equal(r.mergeable, false)
    assert.equal(r.columnType, 'UInt64')
    assert.throws(() => r.merge(1, 2), /reduce.merge/)
  })
})

describe('an Aggregate', () => {
  const aggregate = defineAggregate<Order>({
    orders: count(),
    revenue: sum((o) => o.amount),
    smallest: min((o) => o.amount),
    largest: max((o) => o.amount),
    mean: avg((o) => o.amount),
    customers: distinctCount((o) => o.customer),
  })

  it('states its gold table columns in declaration order', () => {
    assert.deepEqual(aggregateColumns(aggregate), [
      { name: 'orders', type: 'UInt64' },
      { name: 'revenue', type: 'Float64' },
      { name: 'smallest', type: 'Float64' },
      { name: 'largest', type: 'Float64' },
      { name: 'mean', type: 'Float64' },
      { name: 'customers', type: 'UInt64' },
    ])
  })

  it('inits, adds, merges and results all of its aggregations at once', () => {
    const left = orders.slice(0, 2).reduce((accs, o) => addAll(aggregate, accs, o), initAll(aggregate))
    const right = orders.slice(2).reduce((accs, o) => addAll(aggregate, accs, o), initAll(aggregate))
    const merged = mergeAll(aggregate, JSON.parse(JSON.stringify(left)), JSON.parse(JSON.stringify(right)))
    assert.deepEqual(resultAll(aggregate, merged), {
      orders: 5,
      revenue: 38.5,
      smallest: -4,
      largest: 30,
      mean: 38.5 / 4,
      customers: 3,
    })
  })

  it('refuses to add to accumulators missing one of its aggregations (a checkpoint from an older declaration)', () => {
    const { customers: _, ...older } = initAll(aggregate)
    assert.throws(() => addAll(aggregate, older, orders[0]!), /no accumulator for aggregation "customers"/)
  })

  it('refuses names that cannot be ClickHouse columns, and an empty declaration', () => {
    assert.throws(() => defineAggregate({ 'total revenue': count() }), ConfigError)
    assert.throws(() => defineAggregate({ '1st': count() }), /not a valid column name/)
    assert.throws(() => defineAggregate({} as Aggregate<Order>), /no aggregations/)
  })
})
