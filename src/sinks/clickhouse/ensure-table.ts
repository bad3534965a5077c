/**
 * Brings a live table up to its spec: creates it, or adds the columns a newer schema introduced
 * (a new optional field is the usual evolution). A column whose type changed is never altered here:
 * rewriting stored data is a decision for a person, so it stops start-up with the fix spelled out.
 */
import type { ClickHouse } from '../../clickhouse/client.ts'
import { localTableName } from '../../clickhouse/cluster.ts'
import { ClickHouseError } from '../../clickhouse/errors.ts'
import { quoteIdent, quoteString, quoteTable } from '../../clickhouse/identifiers.ts'
import {
  addColumnSql,
  createTableSql,
  distributedTableSql,
  dropTableSql,
  onCluster,
  type TableSpec,
} from './ddl.ts'
import type { Column } from './types.ts'

export interface EnsureResult {
  readonly created: boolean
  readonly added: readonly string[]
}

/**
 * On a cluster (`cluster` set) the rows live in `<name>_local` on every shard and `<name>` is the
 * Distributed table over them: both are created and evolved `ON CLUSTER`, so a server that is down
 * applies the change from the DDL queue when it is back. Only the local table's columns are checked
 * against the spec; the Distributed one mirrors them.
 */
export async function ensureTable(ch: ClickHouse, spec: TableSpec, cluster?: string): Promise<EnsureResult> {
  const f = await ch.features()
  const database = await currentDatabase(ch)
  const table = cluster === undefined ? spec.name : localTableName(spec.name)
  const result = await ensureColumns(
    ch,
    table,
    spec.columns,
    createTableSql(spec, f, database, cluster),
    cluster,
  )
  if (cluster !== undefined) await ensureDistributed(ch, spec, cluster, database)
  return result
}

async function ensureColumns(
  ch: ClickHouse,
  table: string,
  columns: readonly Column[],
  createSql: string,
  cluster: string | undefined,
): Promise<EnsureResult> {
  const before = await existingColumns(ch, table)
  if (before.size === 0) await ch.command(createSql)
  const existing = before.size === 0 ? await existingColumns(ch, table) : before
  const added: string[] = []
  for (const col of columns) {
    const type = existing.get(col.name)
    if (type === undefined) {
      await addColumn(ch, table, col, cluster)
      added.push(col.name)
    } else if (!sameType(type, col.type)) {
      throw new ClickHouseError(
        'CLICKHOUSE_SCHEMA_CONFLICT',
        `table ${table} column ${col.name} is ${type} but the schema now needs ${col.type}. ` +
          `Fix: if every stored value converts, run ALTER TABLE ${quoteTable(table)}${onCluster(cluster)} MODIFY COLUMN ` +
          `${quoteIdent(col.name)} ${col.type}; otherwise keep the old field and add a new one under a new name ` +
          '(or write to a new entity/table).',
        { retriable: false },
      )
    }
  }
  return { created: before.size === 0, added }
}

/**
 * 18.16 refuses `ALTER ... ON CLUSTER` of a table that is not Replicated on a cluster whose shards
 * replicate internally, so a Distributed table missing a column is dropped and created again: it
 * holds no rows (the engine inserts into the local tables), only the structure to read them by.
 */
async function ensureDistributed(ch: ClickHouse, spec: TableSpec, cluster: string, database: string) {
  const existing = await existingColumns(ch, spec.name)
  if (existing.size > 0 && spec.columns.every((c) => existing.has(c.name))) return
  if (existing.size > 0) await ch.command(dropTableSql(spec.name, cluster))
  await ch.command(distributedTableSql(spec, cluster, database))
}

async function addColumn(
  ch: ClickHouse,
  table: string,
  col: Column,
  cluster: string | undefined,
): Promise<void> {
  try {
    await ch.command(addColumnSql(table, col, cluster))
  } catch (err) {
    // Two writers starting together both see the column missing; the loser's ADD fails, harmlessly.
    const now = await existingColumns(ch, table)
    if (now.get(col.name) === undefined || !sameType(now.get(col.name)!, col.type)) throw err
  }
}

/**
 * A view is created once (a changed declaration needs a new name); skipping an existing one keeps
 * a start-up with a cluster server down from waiting on an `ON CLUSTER` statement it cannot finish.
 */
export async function ensureView(ch: ClickHouse, name: string, createSql: string): Promise<void> {
  const [row] = await ch.query<{ c: string }>(
    `SELECT count() AS c FROM system.tables WHERE database = currentDatabase() AND name = ${quoteString(name)}`,
  )
  if (Number(row?.c) === 0) await ch.command(createSql)
}

async function currentDatabase(ch: ClickHouse): Promise<string> {
  const [row] = await ch.query<{ db: string }>('SELECT currentDatabase() AS db')
  return row?.db ?? 'default'
}

async function existingColumns(ch: ClickHouse, table: string): Promise<Map<string, string>> {
  const [db, name] = table.includes('.') ? table.split('.', 2) : [undefined, table]
  const rows = await ch.query<{ name: string; type: string }>(
    `SELECT name, type FROM system.columns WHERE database = ${db ? quoteString(db) : 'currentDatabase()'} ` +
      `AND table = ${quoteString(name!)}`,
  )
  return new Map(rows.map((r) => [r.name, r.type]))
}

/**
 * LowCardinality is storage, not meaning: a String column made before the engine had it (or the
 * reverse) accepts and returns the same values.
 */
export function sameType(a: string, b: string): boolean {
  return normaliseType(a) === normaliseType(b)
}

function normaliseType(t: string): string {
  let s = t.replace(/\s+/g, '')
  for (;;) {
    const next = s.replace(/LowCardinality\(((?:[^()]|\((?:[^()]|\([^()]*\))*\))*)\)/, '$1')
    if (next === s) return s
    s = next
  }
}
