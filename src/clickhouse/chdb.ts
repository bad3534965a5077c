/**
 * chDB: ClickHouse in-process. libchdb binds one data directory per process, so a process holds at
 * most one persistent chDB at a time; a temporary one (no path) is removed on close.
 */
import { drainPending, Session } from 'chdb'
import { type ClickHouse, PINNED_SETTINGS } from './client.ts'
import { fromChdbError, sqlExcerpt } from './errors.ts'
import { memoizedFeatures } from './features.ts'
import { quoteTable } from './identifiers.ts'
import { bodyChunks, bodyEmpty, JSON_EACH_ROW, serializeRows } from './insert-body.ts'
import { checkFormat, parseJsonEachRow, trimStatement } from './statement.ts'

export function createChdbClickHouse(path?: string): ClickHouse {
  let session: Session
  try {
    session = new Session(path, {
      connectionArgs: Object.entries(PINNED_SETTINGS).map(([k, v]) => `--${k}=${v}`),
    })
  } catch (err) {
    throw fromChdbError(err, `opening chDB at ${path ?? '(temporary directory)'}`)
  }

  const features = memoizedFeatures({ query: (sql) => ch.query(sql) })
  const ch: ClickHouse = {
    kind: 'chdb',
    features: () => features(),
    async command(sql) {
      try {
        await session.queryAsync(trimStatement(sql), { format: 'TabSeparated' })
      } catch (err) {
        throw fromChdbError(err, sqlExcerpt(sql))
      }
    },
    async query<T>(sql: string): Promise<T[]> {
      try {
        const result = await session.queryAsync(trimStatement(sql), { format: 'JSONEachRow' })
        return parseJsonEachRow<T>(result.text())
      } catch (err) {
        throw fromChdbError(err, sqlExcerpt(sql))
      }
    },
    async insert(table, rows) {
      await ch.insertRaw(table, serializeRows(rows))
    },
    async insertRaw(table, body, format = JSON_EACH_ROW, token) {
      if (bodyEmpty(body)) return
      // Validated here; the addon takes the bare name and quotes it itself.
      const target = quoteTable(table)
      try {
        await session.insert({
          table,
          values: Buffer.concat(bodyChunks(body)),
          format: format.name,
          ...(format.name === 'TabSeparated' ? { columns: format.columns } : {}),
          settings:
            token !== undefined && (await features()).insertDeduplicationToken
              ? { ...PINNED_SETTINGS, insert_deduplication_token: token }
              : PINNED_SETTINGS,
        })
      } catch (err) {
        throw fromChdbError(err, `INSERT INTO ${target}`)
      }
    },
    async *stream(sql, format) {
      const statement = trimStatement(sql)
      try {
        const chunks = session.queryStream(statement, { format: checkFormat(format) })
        for await (const chunk of chunks) yield chunk.raw()
      } catch (err) {
        throw fromChdbError(err, sqlExcerpt(statement))
      }
    },
    async ping() {
      try {
        await session.queryAsync('SELECT 1', { format: 'TabSeparated' })
        return true
      } catch {
        return false
      }
    },
    async close() {
      session.close()
      // Until pending native work drains, a new Session in this process would be refused.
      await drainPending()
    },
  }
  return ch
}
