/**
 * Where integration tests find the real services.
 *
 * - TRIBUTARY_STACK unset or 'local' (the default, and what CI uses): the stack from
 *   `npm run stack:up` (scripts/stack/), at the ports of TRIBUTARY_PORT_OFFSET or the
 *   TRIBUTARY_*_URL / TRIBUTARY_KAFKA_BROKERS overrides. A quick reachability check fails fast with
 *   a message naming the fix instead of letting a test time out.
 * - TRIBUTARY_STACK=containers: starts Kafka, Apicurio Registry, Redis and ClickHouse with
 *   testcontainers once per process (needs a Docker engine; not available on the CI machine, so this
 *   path is type-checked but not exercised there).
 */
import net from 'node:net'
import { type Endpoints, endpointsFromEnv } from '../../src/config/endpoints.ts'

export type StackService = 'kafka' | 'registry' | 'redis' | 'clickhouse' | 'prometheus'

let pending: Promise<Endpoints> | undefined

/**
 * The endpoints of the stack, after checking that the named services (all four when none are
 * named) answer on their ports.
 */
export async function stackEndpoints(...needs: StackService[]): Promise<Endpoints> {
  const mode = process.env.TRIBUTARY_STACK ?? 'local'
  if (mode === 'local') {
    const endpoints = endpointsFromEnv()
    await assertReachable(endpoints, needs.length > 0 ? needs : ['kafka', 'registry', 'redis', 'clickhouse'])
    return endpoints
  }
  if (mode === 'containers') {
    pending ??= startContainers()
    return pending
  }
  throw new Error(`TRIBUTARY_STACK=${mode} is not one of 'local' (default) or 'containers'`)
}

/** Polls `probe` until it returns a value other than undefined; throws naming `what` after `timeoutMs`. */
export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let lastError: unknown
  for (;;) {
    try {
      const value = await probe()
      if (value !== undefined) return value
    } catch (err) {
      lastError = err
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `; last error: ${lastError}` : ''}`,
      )
    }
    await new Promise((r) => setTimeout(r, 100))
  }
}

/** A name unique to this run, for topics, groups, subjects, tables and keys. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`
}

function hostPort(address: string): { host: string; port: number } {
  const url = address.includes('://') ? new URL(address) : new URL(`tcp://${address}`)
  const port = Number(url.port)
  return { host: url.hostname, port }
}

function tcpReachable(address: string, timeoutMs = 2000): Promise<boolean> {
  const { host, port } = hostPort(address)
  return new Promise((resolve) => {
    const socket = net.connect({ host, port })
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(timeoutMs, () => done(false))
    socket.once('connect', () => done(true))
    socket.once('error', () => done(false))
  })
}

async function assertReachable(e: Endpoints, needs: StackService[]): Promise<void> {
  const all: Record<StackService, [string, string]> = {
    kafka: ['Kafka', e.kafkaBrokers[0] ?? ''],
    registry: ['schema registry', e.registryUrl],
    redis: ['Redis', e.redisUrl],
    clickhouse: ['ClickHouse', e.clickhouseUrl],
    prometheus: ['Prometheus', e.prometheusUrl],
  }
  const checks = needs.map((n) => all[n])
  const results = await Promise.all(
    checks.map(async ([name, address]) => [name, address, await tcpReachable(address)] as const),
  )
  const down = results.filter(([, , ok]) => !ok).map(([name, address]) => `${name} at ${address}`)
  if (down.length > 0) {
    throw new Error(
      `not reachable: ${down.join(', ')}; run \`npm run stack:up\` first (TRIBUTARY_PORT_OFFSET=${process.env.TRIBUTARY_PORT_OFFSET ?? '0'}), or set TRIBUTARY_STACK=containers with a Docker engine`,
    )
  }
}

/** Started once per process; the containers are removed by testcontainers' reaper when it exits. */
async function startContainers(): Promise<Endpoints> {
  const tc = await import('testcontainers')
  let dockerHost: string
  try {
    dockerHost = (await tc.getContainerRuntimeClient()).info.containerRuntime.host
  } catch (err) {
    throw new Error(
      `TRIBUTARY_STACK=containers needs a Docker (or Podman) engine and none answered (${(err as Error).message}); unset TRIBUTARY_STACK and run \`npm run stack:up\` to use the local stack instead`,
    )
  }
  const { GenericContainer, Wait } = tc

  // Kafka advertises the address clients reach it on, which a random mapping would only reveal after
  // start: take a port free here first and bind it 1:1 (assumes a local engine when picking it).
  const kafkaPort = await freePort()
  const kafka = new GenericContainer(process.env.TRIBUTARY_KAFKA_IMAGE ?? 'apache/kafka:4.1.2')
    .withExposedPorts({ container: kafkaPort, host: kafkaPort })
    .withEnvironment({
      KAFKA_NODE_ID: '1',
      KAFKA_PROCESS_ROLES: 'broker,controller',
      KAFKA_LISTENERS: `PLAINTEXT://0.0.0.0:${kafkaPort},CONTROLLER://0.0.0.0:9093`,
      KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://${dockerHost}:${kafkaPort}`,
      KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
      KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
      KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9093',
      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
      KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR: '1',
      KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR: '1',
      KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
      KAFKA_NUM_PARTITIONS: '1',
      KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'true',
    })
    .withWaitStrategy(Wait.forLogMessage(/Kafka Server started|KafkaServer.*started/))
    .withStartupTimeout(120_000)
    .start()

  const registry = new GenericContainer(
    process.env.TRIBUTARY_REGISTRY_IMAGE ?? 'apicurio/apicurio-registry:3.0.9',
  )
    .withExposedPorts(8080)
    .withWaitStrategy(Wait.forHttp('/apis/ccompat/v7/subjects', 8080).forStatusCode(200))
    .withStartupTimeout(120_000)
    .start()

  const redis = new GenericContainer(process.env.TRIBUTARY_REDIS_IMAGE ?? 'redis:7')
    .withCommand(['redis-server', '--appendonly', 'yes', '--appendfsync', 'everysec'])
    .withExposedPorts(6379)
    .withWaitStrategy(Wait.forLogMessage(/Ready to accept connections/))
    .start()

  const clickhouse = new GenericContainer(
    process.env.TRIBUTARY_CLICKHOUSE_IMAGE ?? 'clickhouse/clickhouse-server:24.8',
  )
    .withExposedPorts(8123, 9000)
    .withEnvironment({ CLICKHOUSE_SKIP_USER_SETUP: '1' })
    .withWaitStrategy(Wait.forHttp('/ping', 8123).forStatusCode(200))
    .withStartupTimeout(120_000)
    .start()

  const [, reg, r, ch] = await Promise.all([kafka, registry, redis, clickhouse])
  const registryUrl = `http://${reg.getHost()}:${reg.getMappedPort(8080)}/apis/ccompat/v7`
  const res = await fetch(`${registryUrl}/config`, {
    method: 'PUT',
    headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
    body: JSON.stringify({ compatibility: 'BACKWARD' }),
  })
  if (!res.ok) throw new Error(`setting the registry's compatibility to BACKWARD failed: HTTP ${res.status}`)

  return {
    kafkaBrokers: [`${dockerHost}:${kafkaPort}`],
    registryUrl,
    redisUrl: `redis://${r.getHost()}:${r.getMappedPort(6379)}`,
    clickhouseUrl: `http://${ch.getHost()}:${ch.getMappedPort(8123)}`,
    // Not started here: the dashboard test needs the local stack's Prometheus.
    prometheusUrl: endpointsFromEnv().prometheusUrl,
    metricsPort: endpointsFromEnv().metricsPort,
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      )
    })
  })
}

/**
 * `skip` for tests of the stack's cluster mode: false when it is up (TRIBUTARY_STACK_CLUSTER=1, which
 * the stack's env file exports and CI sets), else the reason node:test prints.
 */
export const clusterModeSkip: false | string = ['1', 'true'].includes(
  process.env.TRIBUTARY_STACK_CLUSTER ?? '',
)
  ? false
  : 'cluster mode is not up: run `npm run stack:up -- --cluster` and set TRIBUTARY_STACK_CLUSTER=1 (or source .stack/env)'
