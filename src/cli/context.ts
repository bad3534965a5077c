import { loadConfig, type TributaryConfig } from '../config/config.ts'
import { createLogger } from '../observability/logger.ts'
import { confluentRegistry, type SchemaRegistry } from '../serde/registry.ts'
import { type ClickHouse, createClickHouse } from '../sinks/clickhouse/client.ts'

/** What commands share: the validated configuration and lazily made clients. */
export class CliContext {
  readonly config: TributaryConfig
  private ch?: ClickHouse

  constructor(config = loadConfig()) {
    this.config = config
  }

  logger(level = this.config.log.level) {
    return createLogger({ level })
  }

  registry(): SchemaRegistry {
    const r = this.config.registry
    return confluentRegistry(
      r.url,
      r.username ? { username: r.username, password: r.password ?? '' } : undefined,
    )
  }

  async clickhouse(): Promise<ClickHouse> {
    this.ch ??= await createClickHouse(this.config.clickhouse.url, {
      database: this.config.clickhouse.database,
      env: {
        TRIBUTARY_CLICKHOUSE_USER: this.config.clickhouse.username,
        TRIBUTARY_CLICKHOUSE_PASSWORD: this.config.clickhouse.password,
      },
    })
    return this.ch
  }

  async close(): Promise<void> {
    await this.ch?.close()
  }
}

export interface Command {
  readonly name: string
  readonly summary: string
  readonly usage: string
  run(args: string[], ctx: CliContext): Promise<number>
}
