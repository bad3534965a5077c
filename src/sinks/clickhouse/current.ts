/**
 * The current state of a change stream's silver, exact with a plain query on every engine:
 * `silver_<entity>_current`, one row per key whose newest change (highest `_version`) is not a
 * delete. It takes each key's newest row with argMax over all its stored versions, so neither
 * merges nor FINAL matter, nor replayed copies of a change (the same version, the same row).
 * The row is taken as one tuple: argMax skips NULL arguments on 18.16, which would bring back an
 * older value of a column the newest change set to NULL. On a cluster it is created on every
 * server over the Distributed silver; GROUP BY merges the shards' partial states exactly, wherever
 * a key's changes landed.
 */
import { quoteIdent, quoteTable } from '../../clickhouse/identifiers.ts'
import { CHANGE_COLUMNS, LINEAGE_COLUMNS, onCluster, type TableSpec } from './ddl.ts'

const PER_CHANGE = new Set<string>([...LINEAGE_COLUMNS, ...CHANGE_COLUMNS.map((c) => c.name)])

export function currentViewSql(
  silver: TableSpec,
  view: string,
  key: readonly string[],
  cluster?: string,
): string {
  const keys = key.map(quoteIdent)
  // Stored schema columns only: lineage and ALIAS columns are per change, not per current row.
  const columns = silver.columns.filter((c) => !c.alias && !PER_CHANGE.has(c.name) && !key.includes(c.name))
  // 18.16 garbles a Nullable inside a tuple's aggregate state sent between shards: a nullable
  // column travels as its null flag and its value with the null replaced by the type's default.
  const parts: string[] = []
  const at = (expr: string) => `s.${parts.push(expr)}`
  const values = columns.map((c) => {
    const q = quoteIdent(c.name)
    if (!/^(LowCardinality\()?Nullable\(/.test(c.type)) return `${at(q)} AS ${q}`
    return `if(${at(`isNull(${q})`)}, NULL, ${at(`assumeNotNull(${q})`)}) AS ${q}`
  })
  const op = at('_op')
  const deleted = at('_deleted')
  return [
    `CREATE VIEW IF NOT EXISTS ${quoteTable(view)}${onCluster(cluster)} AS`,
    `SELECT ${[...keys, ...values, `${op} AS _op`, 'v AS _version'].join(', ')}`,
    'FROM (',
    `  SELECT ${keys.join(', ')}, argMax(tuple(${parts.join(', ')}), _version) AS s, max(_version) AS v`,
    `  FROM ${quoteTable(silver.name)}`,
    `  GROUP BY ${keys.join(', ')}`,
    ')',
    `WHERE ${deleted} = 0`,
  ].join('\n')
}
