/**
 * On a cluster, reads go through Distributed tables, which pick one replica per shard, and 18.16
 * replicates asynchronously: a replica may not have fetched a block its peer took a moment ago. A
 * reprocess decides from what it reads (open, resolved, already in silver), so it first has every
 * replica fetch what its shard holds. A replica that does not answer is skipped: reads skip it too.
 */
import type { Logger } from 'pino'
import { localTableName } from '../clickhouse/cluster.ts'
import { createHttpClickHouse } from '../clickhouse/http.ts'
import { quoteTable } from '../clickhouse/identifiers.ts'
import type { TributaryConfig } from '../config/config.ts'
import { redactUrl } from '../config/url-credentials.ts'
import { TributaryError } from '../errors/tributary-error.ts'

export async function syncReplicas(
  config: TributaryConfig,
  tables: readonly string[],
  logger: Logger,
): Promise<void> {
  const c = config.clickhouse
  if (c.cluster === undefined || c.shards === undefined) return
  for (const url of c.shards.flat()) {
    const replica = createHttpClickHouse(url, {
      database: c.database,
      env: { TRIBUTARY_CLICKHOUSE_USER: c.username, TRIBUTARY_CLICKHOUSE_PASSWORD: c.password },
    })
    try {
      for (const table of tables)
        await replica.command(`SYSTEM SYNC REPLICA ${quoteTable(localTableName(table))}`)
    } catch (err) {
      if (!(err instanceof TributaryError && err.retriable)) throw err
      logger.warn({ replica: redactUrl(url), err }, 'replica unreachable: not synced (reads skip it too)')
    } finally {
      await replica.close()
    }
  }
}
