import { redactUrl } from '../config/url-credentials.ts'
import type { ClickHouse, ClickHouseOptions } from './client.ts'

/** `http(s)://host:port[/database]` -> server; `chdb:` (temporary) or `chdb:///abs/path` -> chDB. */
export async function createClickHouse(url: string, opts: ClickHouseOptions = {}): Promise<ClickHouse> {
  if (/^https?:\/\//i.test(url)) {
    const { createHttpClickHouse } = await import('./http.ts')
    return createHttpClickHouse(url, opts)
  }
  if (/^chdb:/i.test(url)) {
    const { createChdbClickHouse } = await import('./chdb.ts')
    return createChdbClickHouse(chdbPath(url))
  }
  throw new TypeError(
    `ClickHouse URL ${JSON.stringify(redactUrl(url))} must start with http://, https:// or chdb:`,
  )
}

/** `chdb:` and `chdb://` mean a temporary database; `chdb:///abs/path` a persistent one. */
export function chdbPath(url: string): string | undefined {
  const rest = url.replace(/^chdb:/i, '').replace(/^\/\//, '')
  if (rest === '') return undefined
  if (!rest.startsWith('/'))
    throw new TypeError(`chDB URL ${JSON.stringify(url)} needs an absolute path: chdb:///abs/path`)
  return decodeURIComponent(rest)
}
