/**
 * One statement over ClickHouse's HTTP interface, for tests that talk to several servers of the
 * stack by URL. Throws with the server's message on an error answer.
 */
export async function sql(url: string, query: string): Promise<string> {
  const res = await fetch(url, { method: 'POST', body: query, signal: AbortSignal.timeout(30_000) })
  const text = await res.text()
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}: ${text.trim()} (query: ${query})`)
  return text
}

/** The single number a `SELECT count() ...` answers. */
export async function count(url: string, query: string): Promise<number> {
  return Number((await sql(url, query)).trim())
}
