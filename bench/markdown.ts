/** A GitHub-flavoured markdown table; cells that look numeric are right-aligned. */
export function markdownTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const numeric = headers.map(
    (_, c) => rows.length > 0 && rows.every((r) => /^[-\d.,×%~ ]+$|^n\/a$/.test(r[c] ?? '')),
  )
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`
  return [
    line(headers),
    line(headers.map((_, c) => (numeric[c] ? '---:' : '---'))),
    ...rows.map((r) => line(r)),
  ].join('\n')
}
