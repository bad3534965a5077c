import { CliContext } from '../../src/cli/context.ts'
import { loadConfig } from '../../src/config/config.ts'
import { EngineEvents } from '../../src/observability/events.ts'
import { subscribeLogger } from '../../src/observability/log-subscriber.ts'
import { Metrics } from '../../src/observability/metrics.ts'
import { subscribeMetrics } from '../../src/observability/metrics-subscriber.ts'
import { TopologyRunner } from '../../src/runtime/topology-runner.ts'
import { createKafka } from '../../src/sources/kafka/client.ts'
import { MemoryStateStore } from '../../src/state/memory-store.ts'
import { createRedisStore, type RedisStateStore } from '../../src/state/redis-store.ts'
import type { Variant } from '../dataset.ts'
import { benchTopology, type Stage } from '../topology.ts'
import type { Worker } from './life.ts'

export interface TributaryParams {
  readonly name: string
  readonly topic: string
  readonly variant: Variant
  readonly stage: Stage
  /** Where a stateful stage checkpoints: Redis (durable), or the in-memory twin (checkpoints off). */
  readonly store: 'redis' | 'memory'
}

/**
 * Tributary's runtime in this process, wired as `Engine.start` wires it (metrics and log
 * subscribers included, the HTTP server left out) with one difference: the state store is passed
 * in, so a run can use the in-memory twin and the Redis store's round trips can be counted.
 * The configuration is the project's own (TRIBUTARY_* env, topologies/environments/dev.json).
 */
export const tributary: Worker<TributaryParams> = async (p, life) => {
  const config = loadConfig({ env: { ...process.env, TRIBUTARY_LOG_LEVEL: 'warn' } })
  const ctx = new CliContext(config)
  const logger = ctx.logger()
  const metrics = new Metrics()
  const events = new EngineEvents()
  subscribeMetrics(events, metrics)
  subscribeLogger(events, logger)
  // Only the full stage has state; the others run exactly as the engine would, with no store.
  const stateful = p.stage === 'full'
  const redis: RedisStateStore | null =
    stateful && p.store === 'redis'
      ? createRedisStore(config.redis.url, { password: config.redis.password })
      : null
  const runner = new TopologyRunner({
    topology: benchTopology(p),
    config,
    kafka: createKafka(config, logger),
    registry: ctx.registry(),
    clickhouse: await ctx.clickhouse(),
    metrics,
    events,
    logger,
    ...(stateful ? { stateStore: redis ?? new MemoryStateStore() } : {}),
  })
  life.ready()
  await runner.start()
  await Promise.race([life.stopped, runner.done])
  await runner.stop()
  await ctx.close()
  return { redisRoundTrips: redis?.roundTrips ?? null }
}
