/**
 * Declarative validation rules. A rule is named (the name lands in quarantine rows, DLQ headers and
 * the per-rule quality metrics) and returns `null` when the value passes or a message when not.
 */
export interface Rule<V, R = unknown> {
  readonly name: string
  check(value: V, record: R): string | null
}

export type FieldRules<T> = { readonly [K in keyof T]?: readonly Rule<T[K], T>[] }

export interface Rules<T> {
  readonly fields?: FieldRules<T>
  /** Record-level checks, e.g. `predicate('paid-has-amount', (o) => o.status !== 'PAID' || o.amount > 0)`. */
  readonly checks?: readonly Rule<T, T>[]
}

export function required<V>(): Rule<V> {
  return {
    name: 'required',
    check: (v) => (v === null || v === undefined || v === '' ? 'is required' : null),
  }
}

export function range(bounds: { min?: number; max?: number; exclusiveMin?: boolean }): Rule<number | null> {
  const { min, max, exclusiveMin = false } = bounds
  const label = `range[${min ?? '-inf'}${exclusiveMin ? ' exclusive' : ''}, ${max ?? '+inf'}]`
  return {
    name: 'range',
    check: (v) => {
      if (v === null) return null
      if (min !== undefined && (exclusiveMin ? v <= min : v < min)) return `${v} is below ${label}`
      if (max !== undefined && v > max) return `${v} is above ${label}`
      return null
    },
  }
}

export function positive(): Rule<number | null> {
  return { ...range({ min: 0, exclusiveMin: true }), name: 'positive' }
}

export function matches(pattern: RegExp): Rule<string | null> {
  return {
    name: 'regex',
    check: (v) => (v === null || pattern.test(v) ? null : `${JSON.stringify(v)} does not match ${pattern}`),
  }
}

export function oneOf<const V extends string | number>(allowed: readonly V[]): Rule<string | number | null> {
  const set = new Set<string | number>(allowed)
  return {
    name: 'enum',
    check: (v) =>
      v === null || set.has(v) ? null : `${JSON.stringify(v)} is not one of ${allowed.join(', ')}`,
  }
}

export function predicate<T>(
  name: string,
  test: (record: T) => boolean,
  message = `failed ${name}`,
): Rule<T, T> {
  return { name, check: (r) => (test(r) ? null : message) }
}

export interface RuleFailure {
  readonly field: string
  readonly rule: string
  readonly message: string
}

const NO_FAILURES: readonly RuleFailure[] = Object.freeze([])

/** Compiles rules once; the result runs every rule and returns every failure. */
export function compileRules<T>(rules: Rules<T> | undefined): (record: T) => readonly RuleFailure[] {
  const fieldRules = Object.entries(rules?.fields ?? {}) as [keyof T & string, readonly Rule<unknown, T>[]][]
  const all: Rule<unknown, T>[] = []
  const failures: ((msg: string) => RuleFailure)[] = []
  for (const [field, list] of fieldRules)
    for (const rule of list) {
      all.push(rule)
      failures.push((msg) => ({ field, rule: `${field}.${rule.name}`, message: `${field}: ${msg}` }))
    }
  const fieldCount = all.length
  for (const rule of rules?.checks ?? []) {
    all.push(rule as Rule<unknown, T>)
    failures.push((msg) => ({ field: '$', rule: rule.name, message: msg }))
  }
  // Generated, one statement per rule: in a loop, the field read and the rule's call saw a
  // different field and rule every time, slow paths in V8 for every record. Most records pass:
  // the failure list is made only for the first failure. Field names are quoted as JSON.
  const fields = fieldRules.flatMap(([field, list]) => list.map(() => field))
  const statements = all.map((_, i) => {
    const value = i < fieldCount ? `record[${JSON.stringify(fields[i])}]` : 'record'
    return `msg = r${i}.check(${value}, record); if (msg !== null) (failures ??= []).push(f${i}(msg));`
  })
  const params = all.flatMap((_, i) => [`r${i}`, `f${i}`])
  const make = new Function(
    'NONE',
    ...params,
    `return (record) => { let failures; let msg; ${statements.join(' ')} return failures ?? NONE }`,
  )
  return make(NO_FAILURES, ...all.flatMap((rule, i) => [rule, failures[i]])) as (
    record: T,
  ) => readonly RuleFailure[]
}
