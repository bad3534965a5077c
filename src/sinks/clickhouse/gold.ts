/**
 * A gold declaration in ClickHouse: the partials table each input partition writes its windows to,
 * the `gold_<name>` view that merges them into one row per (group, window), and the JSONEachRow
 * line of one partial. Every aggregation stores a partial SQL can merge exactly: a count or a sum
 * adds up, min and max take the extreme, an average keeps its sum and count, a distinct count
 * keeps its values. (A `reduce` keeps its result: `checkGold` demands copartitioned input, so each
 * window has one partial.)
 */

import type { Features } from '../../clickhouse/features.ts'
import { quoteIdent, quoteTable } from '../../clickhouse/identifiers.ts'
import { tableNames } from '../../topology/table-names.ts'
import type { Aggregation } from '../../windows/aggregations.ts'
import { type GoldDeclaration, keyValues } from '../../windows/gold.ts'
import type { GoldRow } from '../../windows/gold-row.ts'
import { goldTable, onCluster, type TableSpec } from './ddl.ts'
import { type Column, readableTime } from './types.ts'

interface Partial {
  readonly columns: readonly Column[]
  readonly values: (acc: unknown) => readonly unknown[]
  /** The merged value, named after the aggregation. */
  readonly merge: string
}

// biome-ignore lint/suspicious/noExplicitAny: an aggregation of any record type
function partialOf(name: string, a: Aggregation<any>): Partial {
  const p = quoteIdent(`${name}__p`)
  const single = (type: string, fn: string): Partial => ({
    columns: [{ name: `${name}__p`, type }],
    values: (acc) => [acc],
    merge: `${fn}(${p})`,
  })
  switch (a.kind) {
    case 'count':
      return single('UInt64', 'sum')
    case 'sum':
      return single('Float64', 'sum')
    case 'min':
    case 'max':
      // null until a value arrives; SQL's min and max skip nulls the way the accumulator does.
      return single('Nullable(Float64)', a.kind)
    case 'avg':
      return {
        columns: [
          { name: `${name}__sum`, type: 'Float64' },
          { name: `${name}__count`, type: 'UInt64' },
        ],
        values: (acc) => acc as [number, number],
        merge: `sum(${quoteIdent(`${name}__sum`)}) / sum(${quoteIdent(`${name}__count`)})`,
      }
    case 'distinctCount':
      return {
        columns: [{ name: `${name}__values`, type: 'Array(String)' }],
        values: (acc) => [acc],
        merge: `length(groupUniqArrayArray(${quoteIdent(`${name}__values`)}))`,
      }
    case 'reduce': {
      const finite = (v: number) => (Number.isFinite(v) ? v : null)
      return {
        columns: [{ name: `${name}__p`, type: `Nullable(${a.columnType})` }],
        values: (acc) => [finite(a.result(acc as never))],
        merge: `any(${p})`,
      }
    }
  }
}

function partials<T>(g: GoldDeclaration<T>): [string, Partial][] {
  return Object.entries(g.aggregate).map(([name, a]) => [name, partialOf(name, a)])
}

export function goldPartialsTable<T>(g: GoldDeclaration<T>, f: Features): TableSpec {
  const keys = Object.keys(g.groupBy).map((name) => ({ name, type: 'String' }))
  return goldTable(
    g.name,
    keys,
    partials(g).flatMap(([, p]) => p.columns),
    f,
  )
}

export function goldViewName<T>(g: GoldDeclaration<T>): string {
  return tableNames.gold(g.name)
}

/**
 * What users query. FINAL first, so each partition's partial is its latest version, then the merge.
 * Created once: a changed declaration needs a new gold name (its state is namespaced by it too).
 * On a cluster the view is on every server, over the Distributed partials: FINAL then runs on each
 * shard, which is exact because all versions of a partition's partial row are on its one shard.
 */
export function goldViewSql<T>(g: GoldDeclaration<T>, f: Features, cluster?: string): string {
  const table = goldPartialsTable(g, f).name
  const keys = [...Object.keys(g.groupBy), 'window_start', 'window_end'].map(quoteIdent)
  const values = partials(g).map(([name, p]) => `${p.merge} AS ${quoteIdent(name)}`)
  // Selected, not left to the partials' ALIAS columns, so that SELECT * shows them.
  const readable = ['window_start', 'window_end']
    .flatMap((w) => readableTime(w, f))
    .map((c) => `${c.alias} AS ${quoteIdent(c.name)}`)
  return [
    `CREATE VIEW IF NOT EXISTS ${quoteTable(goldViewName(g))}${onCluster(cluster)} AS`,
    `SELECT ${[...keys, ...readable, ...values].join(', ')}`,
    `FROM ${quoteTable(table)} FINAL`,
    'WHERE _deleted = 0',
    `GROUP BY ${keys.join(', ')}`,
  ].join('\n')
}

export function goldLine<T>(g: GoldDeclaration<T>): (row: GoldRow) => string {
  const keyNames = Object.keys(g.groupBy)
  const parts = partials(g)
  const empty = Object.fromEntries(Object.entries(g.aggregate).map(([name, a]) => [name, a.init()]))
  return (row) => {
    const o: Record<string, unknown> = {}
    for (const [i, v] of keyValues(row.key).entries()) o[keyNames[i]!] = v
    o.window_start = row.start
    o.window_end = row.end
    const accs = row.accs ?? empty
    for (const [name, p] of parts) {
      const vs = p.values(accs[name])
      for (const [i, c] of p.columns.entries()) o[c.name] = vs[i]
    }
    o._topic = row.topic
    o._partition = row.partition
    o._version = row.version
    o._deleted = row.accs === null ? 1 : 0
    return JSON.stringify(o)
  }
}
