import type { Logger } from 'pino'
import type { TributaryConfig } from '../config/config.ts'
import { EngineEvents } from '../observability/events.ts'
import { type HealthServer, startHealthServer } from '../observability/health-server.ts'
import { subscribeLogger } from '../observability/log-subscriber.ts'
import { createLogger } from '../observability/logger.ts'
import { Metrics } from '../observability/metrics.ts'
import { subscribeMetrics } from '../observability/metrics-subscriber.ts'
import { confluentRegistry } from '../serde/registry.ts'
import { type ClickHouse, createClickHouse } from '../sinks/clickhouse/client.ts'
import { createKafka } from '../sources/kafka/client.ts'
import type { AnyTopology } from '../topology/define.ts'
import { Supervisor } from './supervisor.ts'
import { TopologyRunner } from './topology-runner.ts'

export interface EngineOptions {
  readonly config: TributaryConfig
  readonly topologies: readonly AnyTopology[]
  readonly logger?: Logger
  /** Serve /metrics, /healthz, /readyz (default true). */
  readonly serveHttp?: boolean
}

/**
 * Runs topologies side by side in one process, sharing the Kafka client, ClickHouse connection,
 * registry, metrics and the health server.
 */
export class Engine {
  readonly metrics = new Metrics()
  readonly events = new EngineEvents()
  readonly logger: Logger
  readonly runners: Supervisor[] = []
  private readonly options: EngineOptions
  private clickhouse?: ClickHouse
  private http?: HealthServer

  constructor(options: EngineOptions) {
    this.options = options
    this.logger = options.logger ?? createLogger({ level: options.config.log.level })
    subscribeMetrics(this.events, this.metrics)
    subscribeLogger(this.events, this.logger)
  }

  get httpPort(): number | undefined {
    return this.http?.port
  }

  async start(): Promise<void> {
    const { config } = this.options
    if (this.options.serveHttp !== false) {
      this.http = await startHealthServer({
        port: config.metrics.port,
        host: config.metrics.host,
        metrics: this.metrics,
        ready: () => {
          const waiting = this.runners.filter((r) => !r.ready).map((r) => r.name)
          return waiting.length === 0 && this.runners.length > 0
            ? { ready: true }
            : { ready: false, reason: `not running: ${waiting.join(', ') || 'no topology started'}` }
        },
      })
      this.logger.info({ port: this.http.port }, 'serving /metrics, /healthz, /readyz')
    }
    this.clickhouse = await createClickHouse(config.clickhouse.url, {
      database: config.clickhouse.database,
      env: {
        TRIBUTARY_CLICKHOUSE_USER: config.clickhouse.username,
        TRIBUTARY_CLICKHOUSE_PASSWORD: config.clickhouse.password,
      },
    })
    const kafka = createKafka(config, this.logger)
    const registry = confluentRegistry(
      config.registry.url,
      config.registry.username
        ? { username: config.registry.username, password: config.registry.password ?? '' }
        : undefined,
    )
    for (const topology of this.options.topologies) {
      const clickhouse = this.clickhouse
      const create = () =>
        new TopologyRunner({ topology, config, kafka, registry, clickhouse, ...this.shared() })
      const supervisor = new Supervisor({ name: topology.name, create, ...this.shared() })
      this.runners.push(supervisor)
      // A topology that cannot start is configuration: the engine fails, leaving the groups it joined.
      await supervisor.start().catch(async (err) => {
        await this.stop().catch(() => {})
        throw err
      })
    }
  }

  private shared() {
    return { metrics: this.metrics, events: this.events, logger: this.logger }
  }

  /** Settles when every topology stopped; a failed topology is restarted, not settled. */
  get done(): Promise<void> {
    return Promise.all(this.runners.map((r) => r.done)).then(() => {})
  }

  async stop(): Promise<void> {
    const results = await Promise.allSettled(this.runners.map((r) => r.stop()))
    await this.clickhouse?.close().catch(() => {})
    await this.http?.close()
    const failed = results.find((r) => r.status === 'rejected')
    if (failed) throw (failed as PromiseRejectedResult).reason
  }
}
