import type { Logger } from 'pino'
import type { ClickHouse } from '../clickhouse/client.ts'
import type { TributaryConfig } from '../config/config.ts'
import { EngineEvents } from '../observability/events.ts'
import { type HealthServer, startHealthServer } from '../observability/health-server.ts'
import { subscribeLogger } from '../observability/log-subscriber.ts'
import { createLogger } from '../observability/logger.ts'
import { Metrics } from '../observability/metrics.ts'
import { subscribeMetrics } from '../observability/metrics-subscriber.ts'
import type { StateStore } from '../state/state-store.ts'
import type { AnyTopology } from '../topology/define.ts'
import { clients } from './clients.ts'
import { Supervisor } from './supervisor.ts'
import { TopologyRunner } from './topology-runner.ts'

export interface EngineOptions {
  readonly config: TributaryConfig
  readonly topologies: readonly AnyTopology[]
  readonly logger?: Logger
  /** Serve /metrics, /healthz, /readyz (default true). */
  readonly serveHttp?: boolean
  /**
   * Where stateful topologies keep their state (default: Redis at `redis.url`, one client per
   * topology). A given store is shared by every topology (keys carry the topology's name) and
   * left open when the engine stops: it is the caller's.
   */
  readonly stateStore?: StateStore
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
    this.clickhouse = await clients.clickhouse(config)
    const kafka = clients.kafka(config, this.logger)
    const registry = clients.registry(config)
    for (const topology of this.options.topologies) {
      const clickhouse = this.clickhouse
      const create = () =>
        new TopologyRunner({
          topology,
          config,
          kafka,
          registry,
          clickhouse,
          events: this.events,
          logger: this.logger,
          ...(this.options.stateStore ? { stateStore: this.options.stateStore } : {}),
        })
      const supervisor = new Supervisor({
        name: topology.name,
        create,
        events: this.events,
        logger: this.logger,
      })
      this.runners.push(supervisor)
      // A topology that cannot start is configuration: the engine fails, leaving the groups it joined.
      await supervisor.start().catch(async (err) => {
        await this.stop().catch(() => {})
        throw err
      })
    }
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
