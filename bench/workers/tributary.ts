import {
  createRedisStore,
  Engine,
  loadConfig,
  MemoryStateStore,
  type RedisStateStore,
} from '../../src/index.ts'
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
 * Tributary's engine in this process through its public API (the HTTP server left out), with
 * the state store passed in, so a run can use the in-memory twin and the Redis store's round trips
 * can be counted. The configuration is the project's own (TRIBUTARY_* env,
 * topologies/environments/dev.json).
 */
export const tributary: Worker<TributaryParams> = async (p, life) => {
  const config = loadConfig({ env: { ...process.env, TRIBUTARY_LOG_LEVEL: 'warn' } })
  // Only the full stage has state; the others run exactly as the engine would, with no store.
  const stateful = p.stage === 'full'
  const redis: RedisStateStore | null =
    stateful && p.store === 'redis'
      ? createRedisStore(config.redis.url, { password: config.redis.password, cluster: config.redis.cluster })
      : null
  const engine = new Engine({
    config,
    topologies: [benchTopology(p)],
    serveHttp: false,
    ...(stateful ? { stateStore: redis ?? new MemoryStateStore() } : {}),
  })
  life.ready()
  await engine.start()
  await Promise.race([life.stopped, engine.done])
  await engine.stop()
  await redis?.close()
  return { redisRoundTrips: redis?.roundTrips ?? null }
}
