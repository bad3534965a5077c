/**
 * The narrow surface Tributary needs from ClickHouse, with two engines behind it: a server over HTTP
 * and chDB in-process (tests, demos, single-node use). Everything above this file is engine-blind;
 * engine differences are carried by `Features`, never by checking `kind`.
 */
import type { Features } from './features.ts'
import type { InsertBody, InsertFormat } from './insert-body.ts'

export interface ClickHouse {
  readonly kind: 'server' | 'chdb'
  /** Detected once per client and cached. */
  features(): Promise<Features>
  command(sql: string): Promise<void>
  /**
   * Rows as JSONEachRow. 64-bit integers arrive as strings on every engine (a JS number would
   * silently lose precision past 2^53), so convert with Number() or BigInt() as appropriate.
   */
  query<T = Record<string, unknown>>(sql: string): Promise<T[]>
  insert(table: string, rows: readonly Record<string, unknown>[]): Promise<void>
  /**
   * Pre-encoded rows (JSONEachRow unless `format` says otherwise): the fast path, no per-row work
   * here. `token` names the block: an engine with `insert_deduplication_token` drops a second
   * insert carrying it; elsewhere identical blocks are dropped by their hash (see `Features`).
   * `partition` is the input partition the block belongs to: on a cluster it picks the shard.
   */
  insertRaw(
    table: string,
    body: InsertBody,
    format?: InsertFormat,
    token?: string,
    partition?: number,
  ): Promise<void>
  /** The result of `sql` rendered in `format` (JSON, CSV, Parquet, PrettyCompact, ...), as produced. */
  stream(sql: string, format: string): AsyncIterable<Uint8Array>
  ping(): Promise<boolean>
  close(): Promise<void>
}

export interface ClickHouseOptions {
  /** Overrides the database named in an http(s) URL's path. */
  database?: string
  /** Per-request timeout for the server engine. */
  requestTimeoutMs?: number
  /** Credentials; default from TRIBUTARY_CLICKHOUSE_USER / TRIBUTARY_CLICKHOUSE_PASSWORD. */
  env?: NodeJS.ProcessEnv
}

/**
 * Settings pinned on both engines because their defaults differ (18.16 quotes 64-bit integers and
 * rejects unknown JSON fields; chDB does neither): one behaviour everywhere, and a JSON field
 * without a column fails the insert instead of being dropped.
 */
export const PINNED_SETTINGS = {
  output_format_json_quote_64bit_integers: 1,
  input_format_skip_unknown_fields: 0,
} as const
