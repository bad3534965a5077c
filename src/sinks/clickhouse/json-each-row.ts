/** The one JSONEachRow serialiser, so both engines receive byte-identical insert bodies. */
export function serializeRows(rows: readonly Record<string, unknown>[]): string {
  let body = ''
  for (const row of rows) body += `${JSON.stringify(row)}\n`
  return body
}
