/**
 * Where the local stack's services listen. One knob, TRIBUTARY_PORT_OFFSET, shifts every port so a
 * second stack (CI beside a developer's) never collides; each endpoint can also be set whole.
 * scripts/stack/env.sh computes the same defaults for the shell side.
 */
export interface Endpoints {
  kafkaBrokers: string[]
  registryUrl: string
  redisUrl: string
  clickhouseUrl: string
  /** The stack's Prometheus, which scrapes the engine (tests query it; the engine never does). */
  prometheusUrl: string
  metricsPort: number
}

export const BASE_PORTS = {
  kafka: 9092,
  kafkaController: 9093,
  registry: 8081,
  redis: 6379,
  clickhouseHttp: 8123,
  clickhouseNative: 9000,
  zookeeper: 2181,
  prometheus: 9090,
  metrics: 9464,
} as const

/**
 * The stack's cluster mode (`npm run stack:up -- --cluster`, scripts/stack/cluster.sh): ClickHouse
 * cluster `tributary_cluster` of 2 shards x 2 replicas, and a 3-master Redis Cluster. The port of
 * replica r of shard s is base + (s - 1) * 2 + (r - 1); Redis node n (1..3) listens on base + n - 1.
 */
export const CLUSTER_BASE_PORTS = {
  clickhouseHttp: 8124,
  clickhouseNative: 9001,
  clickhouseInterserver: 9011,
  redis: 6380,
} as const

export const STACK_CLUSTER = {
  name: 'tributary_cluster',
  shards: 2,
  replicasPerShard: 2,
  redisNodes: 3,
} as const

export interface ClusterEndpoints {
  /** HTTP URLs of the ClickHouse servers, one array of replicas per shard. */
  clickhouseShards: string[][]
  /** host:port of every Redis Cluster master. */
  redisClusterNodes: string[]
}

export function portOffset(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.TRIBUTARY_PORT_OFFSET ?? '0'
  const n = Number(raw)
  if (!Number.isInteger(n) || n < 0 || n > 50000) {
    throw new Error(
      `TRIBUTARY_PORT_OFFSET=${raw} is not a whole number of ports between 0 and 50000; unset it or pick e.g. 1000`,
    )
  }
  return n
}

export function endpointsFromEnv(env: NodeJS.ProcessEnv = process.env): Endpoints {
  const off = portOffset(env)
  return {
    kafkaBrokers: (env.TRIBUTARY_KAFKA_BROKERS ?? `127.0.0.1:${BASE_PORTS.kafka + off}`)
      .split(',')
      .map((s) => s.trim()),
    registryUrl:
      env.TRIBUTARY_REGISTRY_URL ?? `http://127.0.0.1:${BASE_PORTS.registry + off}/apis/ccompat/v7`,
    redisUrl: env.TRIBUTARY_REDIS_URL ?? `redis://127.0.0.1:${BASE_PORTS.redis + off}`,
    clickhouseUrl: env.TRIBUTARY_CLICKHOUSE_URL ?? `http://127.0.0.1:${BASE_PORTS.clickhouseHttp + off}`,
    prometheusUrl: env.TRIBUTARY_PROMETHEUS_URL ?? `http://127.0.0.1:${BASE_PORTS.prometheus + off}`,
    metricsPort: Number(env.TRIBUTARY_METRICS_PORT ?? BASE_PORTS.metrics + off),
  }
}

/**
 * The cluster mode's endpoints: TRIBUTARY_CLICKHOUSE_CLUSTER_URLS (comma-separated, shard by shard,
 * replica by replica) and TRIBUTARY_REDIS_CLUSTER_NODES, as the stack's env file writes them, else
 * the ports of TRIBUTARY_PORT_OFFSET.
 */
export function clusterEndpointsFromEnv(env: NodeJS.ProcessEnv = process.env): ClusterEndpoints {
  const off = portOffset(env)
  const { shards, replicasPerShard, redisNodes } = STACK_CLUSTER
  const urls =
    env.TRIBUTARY_CLICKHOUSE_CLUSTER_URLS?.split(',').map((s) => s.trim()) ??
    Array.from(
      { length: shards * replicasPerShard },
      (_, i) => `http://127.0.0.1:${CLUSTER_BASE_PORTS.clickhouseHttp + i + off}`,
    )
  if (urls.length % replicasPerShard !== 0) {
    throw new Error(
      `TRIBUTARY_CLICKHOUSE_CLUSTER_URLS has ${urls.length} URLs, not a whole number of shards of ${replicasPerShard} replicas; list them shard by shard, replica by replica`,
    )
  }
  return {
    clickhouseShards: Array.from({ length: urls.length / replicasPerShard }, (_, s) =>
      urls.slice(s * replicasPerShard, (s + 1) * replicasPerShard),
    ),
    redisClusterNodes:
      env.TRIBUTARY_REDIS_CLUSTER_NODES?.split(',').map((s) => s.trim()) ??
      Array.from({ length: redisNodes }, (_, i) => `127.0.0.1:${CLUSTER_BASE_PORTS.redis + i + off}`),
  }
}
