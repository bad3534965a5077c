import type { ClickHouse } from '../clickhouse/client.ts'
import { quoteIdent } from '../clickhouse/identifiers.ts'

/**
 * For a person reading `query --format table` on an engine without DateTime64: the same SQL with
 * each epoch-ms time column shown as `YYYY-MM-DD hh:mm:ss.mmm` (UTC), milliseconds kept. A time
 * column is an Int64 whose name a table of the database gives a `<name>_utc` ALIAS (the DDL puts
 * one beside every such column). SQL that cannot be wrapped as a subquery runs unchanged.
 */
export async function withReadableTimes(ch: ClickHouse, sql: string): Promise<string> {
  let meta: { name: string; type: string }[]
  try {
    meta = await resultColumns(ch, sql)
  } catch {
    return sql // not a SELECT (SHOW, DESCRIBE, ...); ClickHouse reports real errors on the run itself
  }
  const aliased = await ch.query<{ name: string }>(
    "SELECT DISTINCT name FROM system.columns WHERE database = currentDatabase() AND default_kind = 'ALIAS' AND endsWith(name, '_utc')",
  )
  const times = new Set(aliased.map((r) => r.name.slice(0, -'_utc'.length)))
  const isTime = (c: { name: string; type: string }) =>
    times.has(c.name) && /^(Nullable\()?Int64\)?$/.test(c.type)
  if (!meta.some(isTime)) return sql
  const columns = meta.map((c) => {
    const q = quoteIdent(c.name)
    return isTime(c)
      ? `concat(toString(toDateTime(intDiv(${q}, 1000), 'UTC')), '.', substring(toString(1000 + ${q} % 1000), 2, 3)) AS ${q}`
      : q
  })
  return `SELECT ${columns.join(', ')} FROM (${sql})`
}

async function resultColumns(ch: ClickHouse, sql: string): Promise<{ name: string; type: string }[]> {
  let text = ''
  const decoder = new TextDecoder()
  for await (const chunk of ch.stream(`SELECT * FROM (${sql}) LIMIT 0`, 'JSONCompact'))
    text += decoder.decode(chunk, { stream: true })
  return (JSON.parse(text) as { meta: { name: string; type: string }[] }).meta
}
