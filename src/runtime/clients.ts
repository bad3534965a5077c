import type { Kafka } from 'kafkajs'
import type { Logger } from 'pino'
import type { ClickHouse } from '../clickhouse/client.ts'
import { createClusterClickHouse } from '../clickhouse/cluster.ts'
import { createClickHouse } from '../clickhouse/connect.ts'
import type { TributaryConfig } from '../config/config.ts'
import { confluentRegistry, type SchemaRegistry } from '../serde/registry.ts'
import { createKafka } from '../sources/kafka/client.ts'

/** The one place clients are made from the configuration: the engine, the CLI and the bench use it. */
export const clients = {
  clickhouse(config: TributaryConfig): Promise<ClickHouse> {
    const c = config.clickhouse
    const opts = {
      database: c.database,
      env: { TRIBUTARY_CLICKHOUSE_USER: c.username, TRIBUTARY_CLICKHOUSE_PASSWORD: c.password },
    }
    if (c.cluster !== undefined && c.shards !== undefined)
      return Promise.resolve(createClusterClickHouse(c.cluster, c.shards, opts))
    return createClickHouse(c.url, opts)
  },
  registry(config: TributaryConfig): SchemaRegistry {
    const r = config.registry
    return confluentRegistry(
      r.url,
      r.username ? { username: r.username, password: r.password ?? '' } : undefined,
    )
  },
  kafka(config: TributaryConfig, logger: Logger): Kafka {
    return createKafka(config, logger)
  },
}
