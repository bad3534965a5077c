import { quoteIdent } from './identifiers.ts'

/** An insert body: one string, or UTF-8 chunks as a RowBuffer hands them over. */
export type InsertBody = string | readonly Uint8Array[]

/**
 * How a body is encoded. JSONEachRow names its fields in every row; TabSeparated is positional, so
 * it carries its column list, which goes into the INSERT (the table's own order does not matter).
 * Both engines parse both, and TabSeparated lets raw payload bytes pass without JSON escaping.
 */
export type InsertFormat =
  | { readonly name: 'JSONEachRow' }
  | { readonly name: 'TabSeparated'; readonly columns: readonly string[] }

export const JSON_EACH_ROW: InsertFormat = { name: 'JSONEachRow' }

export function tabSeparated(columns: readonly string[]): InsertFormat {
  return { name: 'TabSeparated', columns }
}

/** `(a, b) FORMAT TabSeparated` or ` FORMAT JSONEachRow`: what follows `INSERT INTO <table>`. */
export function insertTail(format: InsertFormat): string {
  return format.name === 'TabSeparated'
    ? ` (${format.columns.map(quoteIdent).join(', ')}) FORMAT TabSeparated`
    : ' FORMAT JSONEachRow'
}

export function bodyChunks(body: InsertBody): readonly Uint8Array[] {
  return typeof body === 'string' ? [Buffer.from(body, 'utf8')] : body
}

export function bodyEmpty(body: InsertBody): boolean {
  return typeof body === 'string' ? body.length === 0 : body.every((c) => c.length === 0)
}

/** The one JSONEachRow serialiser, so both engines receive byte-identical insert bodies. */
export function serializeRows(rows: readonly Record<string, unknown>[]): string {
  let body = ''
  for (const row of rows) body += `${JSON.stringify(row)}\n`
  return body
}
