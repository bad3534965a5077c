import type { ClickHouse } from '../src/clickhouse/client.ts'
import { quoteTable } from '../src/clickhouse/identifiers.ts'
import { createTableSql } from '../src/sinks/clickhouse/ddl.ts'
import { type Column, schemaColumns } from '../src/sinks/clickhouse/types.ts'
import { benchEventSchema } from './event.ts'

/** A row count a contender must have produced: what `--quick` asserts in CI. */
export interface CountCheck {
  readonly table: string
  readonly expected: number
  readonly actual: number
}

/**
 * `expr` over `table`: count() FINAL for Tributary's ReplacingMergeTree tables, uniqExact over the
 * lineage for tables a replay could fill twice.
 */
export async function countRows(
  ch: ClickHouse,
  table: string,
  expected: number,
  expr = 'count()',
  final = false,
): Promise<CountCheck> {
  const [row] = await ch.query<{ n: string }>(
    `SELECT ${expr} AS n FROM ${quoteTable(table)}${final ? ' FINAL' : ''}`,
  )
  return { table, expected, actual: Number(row?.n ?? 0) }
}

/** The event's columns as Tributary maps them for this server (timestamps as Int64 on 18.16). */
export async function eventColumns(ch: ClickHouse): Promise<Column[]> {
  return schemaColumns(benchEventSchema, await ch.features())
}

/** A plain MergeTree of the event's columns, plus any extra ones: what a user creates by hand. */
export async function createEventTable(
  ch: ClickHouse,
  options: { name: string; extraColumns?: { name: string; type: string }[]; orderBy: string[] },
): Promise<void> {
  const columns = [...(await eventColumns(ch)), ...(options.extraColumns ?? [])]
  const sql = createTableSql(
    { name: options.name, columns, engine: 'MergeTree()', orderBy: options.orderBy },
    await ch.features(),
  )
  await ch.command(sql)
}

/**
 * Waits (up to a limit) for background merges left by the previous contender, so the next one
 * does not pay for them on this 2-core machine.
 */
export async function settleMerges(ch: ClickHouse, maxMs = 20_000): Promise<void> {
  const deadline = Date.now() + maxMs
  while (Date.now() < deadline) {
    const [row] = await ch.query<{ n: string }>('SELECT count() AS n FROM system.merges')
    if (Number(row?.n ?? 0) === 0) return
    await new Promise((r) => setTimeout(r, 250))
  }
}

/** Drops every table whose name carries the run id (Tributary's bronze_/silver_/... included). */
export async function dropRunTables(ch: ClickHouse, runId: string): Promise<void> {
  const tables = await ch.query<{ name: string }>(
    `SELECT name FROM system.tables WHERE database = currentDatabase() AND name LIKE '%bench_${runId}%' ORDER BY engine = 'MaterializedView' DESC`,
  )
  for (const t of tables) await ch.command(`DROP TABLE IF EXISTS ${quoteTable(t.name)}`)
}
