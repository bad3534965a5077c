/**
 * Brings a live table up to its spec: creates it, or adds the columns a newer schema introduced
 * (a new optional field is the usual evolution). A column whose type changed is never altered here:
 * rewriting stored data is a decision for a person, so it stops start-up with the fix spelled out.
 */
import type { ClickHouse } from '../../clickhouse/client.ts'
import { ClickHouseError } from '../../clickhouse/errors.ts'
import { quoteIdent, quoteString, quoteTable } from '../../clickhouse/identifiers.ts'
import { columnSql, createTableSql, type TableSpec } from './ddl.ts'
import type { Column } from './types.ts'

export interface EnsureResult {
  readonly created: boolean
  readonly added: readonly string[]
}

export async function ensureTable(ch: ClickHouse, spec: TableSpec): Promise<EnsureResult> {
  const f = await ch.features()
  const before = await existingColumns(ch, spec.name)
  if (before.size === 0) await ch.command(createTableSql(spec, f, await currentDatabase(ch)))
  const existing = before.size === 0 ? await existingColumns(ch, spec.name) : before
  const added: string[] = []
  for (const col of spec.columns) {
    const type = existing.get(col.name)
    if (type === undefined) {
      await addColumn(ch, spec.name, col)
      added.push(col.name)
    } else if (!sameType(type, col.type)) {
      throw new ClickHouseError(
        'CLICKHOUSE_SCHEMA_CONFLICT',
        `table ${spec.name} column ${col.name} is ${type} but the schema now needs ${col.type}. ` +
          `Fix: if every stored value converts, run ALTER TABLE ${quoteTable(spec.name)} MODIFY COLUMN ` +
          `${quoteIdent(col.name)} ${col.type}; otherwise keep the old field and add a new one under a new name ` +
          '(or write to a new entity/table).',
        { retriable: false },
      )
    }
  }
  return { created: before.size === 0, added }
}

async function addColumn(ch: ClickHouse, table: string, col: Column): Promise<void> {
  try {
    await ch.command(`ALTER TABLE ${quoteTable(table)} ADD COLUMN ${columnSql(col)}`)
  } catch (err) {
    // Two writers starting together both see the column missing; the loser's ADD fails, harmlessly.
    const now = await existingColumns(ch, table)
    if (now.get(col.name) === undefined || !sameType(now.get(col.name)!, col.type)) throw err
  }
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
