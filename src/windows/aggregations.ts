/**
 * Declarative aggregations over windowed records. Accumulators are plain JSON so the window store
 * can checkpoint them anywhere (Redis, a file) and restore them bit for bit; `merge` exists because
 * session windows join when a record bridges two of them. Each aggregation also states its
 * ClickHouse column type, so a gold table can be created from the same declaration that fills it.
 */
import { ConfigError } from '../errors/tributary-error.ts'

export type JsonValue =
  | null
  | boolean
  | number
  | string
  | readonly JsonValue[]
  | { readonly [k: string]: JsonValue }

export type ClickHouseAggregateType = 'UInt64' | 'Int64' | 'Float64'

export type AggregationKind = 'count' | 'sum' | 'min' | 'max' | 'avg' | 'distinctCount' | 'reduce'

/**
 * `add` and `merge` may update `acc` in place and return it: the store never shares an accumulator
 * between windows and discards the inputs of a merge.
 */
export interface Aggregation<T, Acc extends JsonValue = JsonValue> {
  readonly kind: AggregationKind
  readonly columnType: ClickHouseAggregateType
  /** False only for a `reduce` declared without `merge`; session windows refuse those up front. */
  readonly mergeable: boolean
  init(): Acc
  add(acc: Acc, record: T): Acc
  merge(a: Acc, b: Acc): Acc
  result(acc: Acc): number
}

/** Named aggregations; the names become the gold table's value columns. */
export type Aggregate<T> = Readonly<Record<string, Aggregation<T>>>

export type Accumulators = Record<string, JsonValue>

/**
 * Sum, min, max, avg and distinct count skip a null or undefined value, as SQL aggregates skip
 * NULL. Over no values at all, min, max and avg are NaN (ClickHouse Float64 stores nan).
 */
type Field<T, V> = (record: T) => V | null | undefined

export function count<T>(): Aggregation<T, number> {
  return {
    kind: 'count',
    columnType: 'UInt64',
    mergeable: true,
    init: () => 0,
    add: (n) => n + 1,
    merge: (a, b) => a + b,
    result: (n) => n,
  }
}

export function sum<T>(field: Field<T, number>): Aggregation<T, number> {
  return {
    kind: 'sum',
    columnType: 'Float64',
    mergeable: true,
    init: () => 0,
    add: (acc, r) => acc + (field(r) ?? 0),
    merge: (a, b) => a + b,
    result: (acc) => acc,
  }
}

export function min<T>(field: Field<T, number>): Aggregation<T, number | null> {
  return extremum('min', field, Math.min)
}

export function max<T>(field: Field<T, number>): Aggregation<T, number | null> {
  return extremum('max', field, Math.max)
}

function extremum<T>(
  kind: 'min' | 'max',
  field: Field<T, number>,
  pick: (a: number, b: number) => number,
): Aggregation<T, number | null> {
  // null, not ±Infinity, for "nothing yet": JSON.stringify would turn Infinity into null anyway.
  const combine = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : pick(a, b))
  return {
    kind,
    columnType: 'Float64',
    mergeable: true,
    init: () => null,
    add: (acc, r) => combine(acc, field(r) ?? null),
    merge: combine,
    result: (acc) => acc ?? Number.NaN,
  }
}

/** `[sum, count]`: an average of averages would be wrong after a session merge. */
export function avg<T>(field: Field<T, number>): Aggregation<T, [number, number]> {
  return {
    kind: 'avg',
    columnType: 'Float64',
    mergeable: true,
    init: () => [0, 0],
    add: (acc, r) => {
      const v = field(r)
      return v === null || v === undefined ? acc : [acc[0] + v, acc[1] + 1]
    },
    merge: (a, b) => [a[0] + b[0], a[1] + b[1]],
    result: ([s, n]) => (n === 0 ? Number.NaN : s / n),
  }
}

/**
 * Exact: the distinct values are kept, sorted, in the accumulator, so memory grows with the
 * cardinality of one window. Values compare by their string form (1 and '1' are one value).
 */
export function distinctCount<T>(field: Field<T, string | number | boolean>): Aggregation<T, string[]> {
  return {
    kind: 'distinctCount',
    columnType: 'UInt64',
    mergeable: true,
    init: () => [],
    add: (acc, r) => {
      const v = field(r)
      if (v !== null && v !== undefined) insertSorted(acc, String(v))
      return acc
    },
    merge: (a, b) => {
      const [big, small] = a.length >= b.length ? [a, b] : [b, a]
      for (const v of small) insertSorted(big, v)
      return big
    },
    result: (acc) => acc.length,
  }
}

function insertSorted(sorted: string[], v: string): void {
  let lo = 0
  let hi = sorted.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (sorted[mid]! < v) lo = mid + 1
    else hi = mid
  }
  if (sorted[lo] !== v) sorted.splice(lo, 0, v)
}

export interface ReducerOptions<T, Acc extends JsonValue> {
  /** Must return a fresh value on each call (the store updates accumulators in place). */
  readonly init: () => Acc
  readonly add: (acc: Acc, record: T) => Acc
  readonly result: (acc: Acc) => number
  /** Required for session windows, which merge accumulators. */
  readonly merge?: (a: Acc, b: Acc) => Acc
  /** Default Float64. */
  readonly columnType?: ClickHouseAggregateType
}

/** A user reducer. Declare `Acc` as a type alias, not an interface, so it is checked as JSON. */
export function reduce<T, Acc extends JsonValue>(opts: ReducerOptions<T, Acc>): Aggregation<T, Acc> {
  const { merge } = opts
  return {
    kind: 'reduce',
    columnType: opts.columnType ?? 'Float64',
    mergeable: merge !== undefined,
    init: opts.init,
    add: opts.add,
    merge:
      merge ??
      (() => {
        throw new ConfigError('reduce.merge', 'this reducer has no merge', 'give it a merge(a, b)')
      }),
    result: opts.result,
  }
}

const COLUMN = /^[A-Za-z_][A-Za-z0-9_]*$/

/** Checks the names up front, because they become ClickHouse column names. */
export function defineAggregate<T>(aggregate: Aggregate<T>): Aggregate<T> {
  const names = Object.keys(aggregate)
  if (names.length === 0) {
    throw new ConfigError('aggregate', 'no aggregations', 'declare at least one, e.g. { n: count() }')
  }
  for (const name of names) {
    if (!COLUMN.test(name)) {
      throw new ConfigError(
        `aggregate.${name}`,
        `${JSON.stringify(name)} is not a valid column name`,
        'use letters, digits and _, not starting with a digit',
      )
    }
  }
  return aggregate
}

/** In declaration order: the gold table's value columns. */
export function aggregateColumns<T>(
  aggregate: Aggregate<T>,
): { readonly name: string; readonly type: ClickHouseAggregateType }[] {
  return Object.entries(aggregate).map(([name, a]) => ({ name, type: a.columnType }))
}

// A declaration's aggregations as a list, made once: these run per record, and Object.entries
// would allocate a fresh array of pairs each time.
const lists = new WeakMap<object, readonly (readonly [string, Aggregation<never>])[]>()

function entriesOf<T>(aggregate: Aggregate<T>): readonly (readonly [string, Aggregation<T>])[] {
  let list = lists.get(aggregate)
  if (list === undefined) {
    list = Object.entries(aggregate) as never
    lists.set(aggregate, list!)
  }
  return list as readonly (readonly [string, Aggregation<T>])[]
}

export function initAll<T>(aggregate: Aggregate<T>): Accumulators {
  const accs: Accumulators = {}
  for (const [name, a] of entriesOf(aggregate)) accs[name] = a.init()
  return accs
}

export function addAll<T>(aggregate: Aggregate<T>, accs: Accumulators, record: T): Accumulators {
  let add = adders.get(aggregate) as Adder<T> | undefined
  if (add === undefined) {
    add = compileAdd(aggregate)
    adders.set(aggregate, add as Adder<never>)
  }
  return add(accs, record)
}

type Adder<T> = (accs: Accumulators, record: T) => Accumulators
const adders = new WeakMap<object, Adder<never>>()

/**
 * addAll for one declaration, generated (one statement per aggregation): a loop read and wrote a
 * different accumulator and called a different aggregation every time, slow paths in V8 for every
 * record. Names are quoted as JSON.
 */
function compileAdd<T>(aggregate: Aggregate<T>): Adder<T> {
  const entries = entriesOf(aggregate)
  const statements = entries.map(([name], i) => {
    const key = JSON.stringify(name)
    return `acc = accs[${key}]; if (acc === undefined) missing(${key}); accs[${key}] = a${i}.add(acc, record);`
  })
  const make = new Function(
    'missing',
    ...entries.map((_, i) => `a${i}`),
    `return (accs, record) => { let acc; ${statements.join(' ')} return accs }`,
  )
  return make((name: string) => accOf({}, name), ...entries.map(([, a]) => a)) as Adder<T>
}

export function mergeAll<T>(aggregate: Aggregate<T>, a: Accumulators, b: Accumulators): Accumulators {
  for (const [name, agg] of entriesOf(aggregate)) a[name] = agg.merge(accOf(a, name), accOf(b, name))
  return a
}

export function resultAll<T>(aggregate: Aggregate<T>, accs: Accumulators): Record<string, number> {
  const values: Record<string, number> = {}
  for (const [name, a] of entriesOf(aggregate)) values[name] = a.result(accOf(accs, name))
  return values
}

function accOf(accs: Accumulators, name: string): JsonValue {
  const acc = accs[name]
  // A checkpoint written before an aggregation was added to the declaration has no accumulator for it.
  if (acc === undefined) throw new RangeError(`no accumulator for aggregation ${JSON.stringify(name)}`)
  return acc
}
