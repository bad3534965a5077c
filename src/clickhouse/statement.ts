/** Statement text rules shared by both engines. */
import { ClickHouseError } from './errors.ts'

/** The engines append `FORMAT ...` themselves; a trailing semicolon would end the statement early. */
export function trimStatement(sql: string): string {
  return sql.trim().replace(/;+\s*$/, '')
}

/** Format names are spliced into SQL, so only a bare word is accepted. */
export function checkFormat(format: string): string {
  if (!/^[A-Za-z][A-Za-z0-9]*$/.test(format)) {
    throw new ClickHouseError(
      'CLICKHOUSE_BAD_FORMAT',
      `output format ${JSON.stringify(format)} is not a format name`,
      {
        retriable: false,
      },
    )
  }
  return format
}

/** JSONEachRow text to rows; tolerant of the trailing newline and of an empty result. */
export function parseJsonEachRow<T>(text: string): T[] {
  const rows: T[] = []
  for (const line of text.split('\n')) if (line.length > 0) rows.push(JSON.parse(line) as T)
  return rows
}
