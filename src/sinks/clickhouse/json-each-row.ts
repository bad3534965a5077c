/** A JSONEachRow insert body: one string, or UTF-8 chunks as a RowBuffer hands them over. */
export type InsertBody = string | readonly Uint8Array[]

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
