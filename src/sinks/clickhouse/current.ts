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
  const values = silver.columns
    .filter((c) => !c.alias && !PER_CHANGE.has(c.name) && !key.includes(c.name))
    .map((c) => c.name)
  const row = [...values, '_op', '_deleted']
  const at = (name: string) => `s.${row.indexOf(name) + 1}`
  return [
    `CREATE VIEW IF NOT EXISTS ${quoteTable(view)}${onCluster(cluster)} AS`,
    `SELECT ${[...keys, ...values.map((v) => `${at(v)} AS ${quoteIdent(v)}`), `${at('_op')} AS _op`, 'v AS _version'].join(', ')}`,
    'FROM (',
    `  SELECT ${keys.join(', ')}, argMax(tuple(${row.map(quoteIdent).join(', ')}), _version) AS s, max(_version) AS v`,
    `  FROM ${quoteTable(silver.name)}`,
    `  GROUP BY ${keys.join(', ')}`,
    ')',
    `WHERE ${at('_deleted')} = 0`,
  ].join('\n')
}
