/**
 * The two engines every integration test runs against: the ClickHouse server of the local stack
 * (TRIBUTARY_CLICKHOUSE_URL, `npm run stack:up`) and an in-memory chDB. One chDB per test file,
 * because libchdb binds one data directory per process.
 */
import { randomBytes } from 'node:crypto'
import type { ClickHouse } from '../../src/clickhouse/client.ts'
import { createClickHouse } from '../../src/clickhouse/connect.ts'
import { endpointsFromEnv } from '../../src/config/endpoints.ts'

export interface Engine {
  readonly label: string
  open(): Promise<ClickHouse>
}

export const ENGINES: readonly Engine[] = [
  { label: 'ClickHouse server', open: () => createClickHouse(endpointsFromEnv().clickhouseUrl) },
  { label: 'chDB', open: () => createClickHouse('chdb:') },
]

/** Table names unique to this run, so parallel runs and leftovers never collide. */
export function uniqueSuffix(): string {
  return `t${randomBytes(4).toString('hex')}`
}

export async function dropTables(ch: ClickHouse, names: Iterable<string>): Promise<void> {
  for (const name of names) await ch.command(`DROP TABLE IF EXISTS \`${name}\``)
}
