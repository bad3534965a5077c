import type { ClickHouse } from '../clickhouse/client.ts'
import { loadConfig, type TributaryConfig } from '../config/config.ts'
import { createLogger } from '../observability/logger.ts'
import { clients } from '../runtime/clients.ts'
import type { SchemaRegistry } from '../serde/registry.ts'

/** What commands share: the validated configuration and lazily made clients. */
export class CliContext {
  readonly config: TributaryConfig
  private ch?: ClickHouse

  constructor(config = loadConfig()) {
    this.config = config
  }

  /** To stdout by default; a command whose stdout is its result logs to stderr. */
  logger(level = this.config.log.level, destination?: NodeJS.WritableStream) {
    return destination
      ? createLogger({ level, destination, pretty: (destination as { isTTY?: boolean }).isTTY === true })
      : createLogger({ level })
  }

  registry(): SchemaRegistry {
    return clients.registry(this.config)
  }

  async clickhouse(): Promise<ClickHouse> {
    this.ch ??= await clients.clickhouse(this.config)
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
