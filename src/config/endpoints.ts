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
  prometheus: 9090,
  metrics: 9464,
} as const

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
