/**
 * The server engine over HTTP through the official client, one keep-alive pool per instance.
 * Credentials come from the environment and only ever reach the client's auth header.
 */
import { Readable } from 'node:stream'
import { type ClickHouseClient, ClickHouseLogLevel, createClient } from '@clickhouse/client'
import { redactUrl } from '../config/url-credentials.ts'
import { type ClickHouse, type ClickHouseOptions, PINNED_SETTINGS } from './client.ts'
import { ClickHouseError, fromHttpError, sqlExcerpt } from './errors.ts'
import { memoizedFeatures } from './features.ts'
import { quoteTable } from './identifiers.ts'
import { bodyChunks, bodyEmpty, insertTail, JSON_EACH_ROW, serializeRows } from './insert-body.ts'
import { checkFormat, trimStatement } from './statement.ts'

export function createHttpClickHouse(url: string, opts: ClickHouseOptions = {}): ClickHouse {
  const env = opts.env ?? process.env
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch (cause) {
    throw new ClickHouseError(
      'CLICKHOUSE_BAD_URL',
      `ClickHouse URL ${JSON.stringify(redactUrl(url))} is malformed`,
      {
        retriable: false,
        cause,
      },
    )
  }
  const database =
    opts.database ?? (decodeURIComponent(parsed.pathname.replace(/^\/+|\/+$/g, '')) || 'default')
  const username = env.TRIBUTARY_CLICKHOUSE_USER ?? (decodeURIComponent(parsed.username) || 'default')
  const password = env.TRIBUTARY_CLICKHOUSE_PASSWORD ?? decodeURIComponent(parsed.password)
  const client: ClickHouseClient = createClient({
    url: `${parsed.protocol}//${parsed.host}`,
    username,
    password,
    database,
    application: 'tributary',
    request_timeout: opts.requestTimeoutMs ?? 30_000,
    keep_alive: { enabled: true },
    clickhouse_settings: PINNED_SETTINGS,
    // Every failure is rethrown as a ClickHouseError for the caller to log once, with context.
    log: { level: ClickHouseLogLevel.OFF },
  })

  const features = memoizedFeatures({ query: (sql) => ch.query(sql) })
  const ch: ClickHouse = {
    kind: 'server',
    features: () => features(),
    async command(sql) {
      try {
        await client.command({ query: trimStatement(sql) })
      } catch (err) {
        throw fromHttpError(err, sqlExcerpt(sql))
      }
    },
    async query<T>(sql: string): Promise<T[]> {
      try {
        const rs = await client.query({ query: trimStatement(sql), format: 'JSONEachRow' })
        return await rs.json<T>()
      } catch (err) {
        throw fromHttpError(err, sqlExcerpt(sql))
      }
    },
    async insert(table, rows) {
      await ch.insertRaw(table, serializeRows(rows))
    },
    async insertRaw(table, body, format = JSON_EACH_ROW, token) {
      if (bodyEmpty(body)) return
      const target = quoteTable(table)
      const settings =
        token !== undefined && (await features()).insertDeduplicationToken
          ? { clickhouse_settings: { insert_deduplication_token: token } }
          : {}
      try {
        // exec, not insert: insert() re-serialises a JSON-format stream object by object, and the
        // point of this path is to send the caller's bytes untouched.
        const result = await client.exec({
          query: `INSERT INTO ${target}${insertTail(format)}`,
          values: Readable.from(bodyChunks(body), { objectMode: false }),
          ...settings,
        })
        // Drained rather than destroyed, so the keep-alive socket goes back to the pool.
        for await (const _ of result.stream) {
        }
      } catch (err) {
        throw fromHttpError(err, `INSERT INTO ${target}`)
      }
    },
    async *stream(sql, format) {
      const statement = `${trimStatement(sql)} FORMAT ${checkFormat(format)}`
      let result: Awaited<ReturnType<ClickHouseClient['exec']>>
      try {
        result = await client.exec({ query: statement })
      } catch (err) {
        throw fromHttpError(err, sqlExcerpt(statement))
      }
      try {
        for await (const chunk of result.stream) yield chunk as Uint8Array
      } catch (err) {
        throw fromHttpError(err, sqlExcerpt(statement))
      } finally {
        result.stream.destroy()
      }
    },
    async ping() {
      try {
        return (await client.ping()).success
      } catch {
        return false
      }
    },
    async close() {
      await client.close()
    },
  }
  return ch
}
