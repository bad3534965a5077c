import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { ConfigError } from '../errors/tributary-error.ts'
import { DEFAULT_MAX_DEDUP_KEYS } from '../state/dedup-table.ts'
import { endpointsFromEnv } from './endpoints.ts'
import { hasUrlCredentials, redactUrl } from './url-credentials.ts'

/**
 * One typed configuration, validated once at start-up. Sources, lowest to highest precedence:
 * built-in defaults (the local stack's endpoints), `topologies/environments/<env>.json`, then
 * `TRIBUTARY_<SECTION>_<FIELD>` environment variables. Secrets are read from the environment only.
 */
export interface TributaryConfig {
  readonly environment: string
  readonly kafka: {
    readonly brokers: readonly string[]
    readonly clientId: string
    readonly ssl: boolean
    readonly sasl?: {
      readonly mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'
      readonly username: string
      readonly password: string
    }
  }
  readonly registry: { readonly url: string; readonly username?: string; readonly password?: string }
  readonly clickhouse: {
    readonly url: string
    readonly database: string
    readonly username: string
    readonly password: string
    /**
     * `insert` (default): every table is exact with plain queries, because the target drops a
     * replayed block on insert (a Replicated table, or `non_replicated_deduplication_window`);
     * start-up refuses a target that cannot. `final`: accept such a target, exact only under
     * FINAL (eventually, as merges collapse replays).
     */
    readonly exactness: 'insert' | 'final'
    /**
     * A ClickHouse cluster (`system.clusters`) to write to: every table is then a Replicated
     * `<name>_local` on each shard plus a Distributed `<name>` over them. Requires `shards`.
     */
    readonly cluster?: string
    /**
     * The cluster's replicas by shard, as HTTP URLs: an input partition's blocks go to shard
     * `partition mod shards.length`, on the first of its replicas that answers. Statements and
     * reads go to any replica (`url` is then not used).
     */
    readonly shards?: readonly (readonly string[])[]
  }
  readonly redis: {
    readonly url: string
    readonly password?: string
    /** `host:port` of Redis Cluster nodes; empty: one Redis at `url`. */
    readonly cluster: readonly string[]
  }
  readonly metrics: { readonly port: number; readonly host: string }
  readonly log: { readonly level: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' }
  readonly source: {
    /** Records since the last checkpoint started above which the next one starts (waiting, and so
     * pausing fetches, while the previous one lands): at most about twice this many are held. */
    readonly maxInFlightRecords: number
    readonly fromBeginning: boolean
    readonly sessionTimeoutMs: number
    /** A source topic that does not exist at start-up: wait for it (logged), or create it. */
    readonly missingTopics: 'wait' | 'create'
    /**
     * Bytes one fetch brings at most, over all partitions (a quarter of it per partition). Fetched
     * records are held as JS objects at ~10x their size until processed: this bounds that.
     */
    readonly fetchMaxBytes: number
  }
  readonly sink: {
    /** Rows per table insert; a checkpoint is forced when any table buffers this many. */
    readonly maxBatchRows: number
    /** Longest a record waits in a buffer before its checkpoint. */
    readonly flushIntervalMs: number
    /**
     * Once the consumer has caught up (no backlog on the partitions it holds records of), waiting
     * out flushIntervalMs batches nothing more: the checkpoint starts as soon as this much time
     * passed since the last one.
     */
    readonly minFlushIntervalMs: number
    readonly retry: { readonly baseMs: number; readonly maxMs: number }
    readonly breaker: { readonly failureThreshold: number; readonly resetTimeoutMs: number }
  }
  readonly dedup: {
    /**
     * Dedup keys held in memory per topology, over all its partitions (~42 bytes each, allocated
     * on the first key). The newest are held; an older key evicted from memory is still in Redis
     * for its retention, but a duplicate of it is no longer dropped (counted, warned: README).
     */
    readonly maxKeysInMemory: number
  }
}

type Shape = Record<string, 'string' | 'number' | 'boolean' | 'list'>

/** Every settable field, its kind, and the one-line fix shown when it is wrong. */
const FIELDS: Record<string, { kind: Shape[string]; fix: string; check?: (v: never) => boolean }> = {
  'kafka.brokers': {
    kind: 'list',
    fix: 'a comma-separated list of host:port, e.g. 127.0.0.1:9092',
    check: (v: string[]) => v.length > 0 && v.every((b) => /^[^:\s]+:\d+$/.test(b)),
  },
  'kafka.clientId': { kind: 'string', fix: 'a non-empty client id' },
  'kafka.ssl': { kind: 'boolean', fix: 'true or false' },
  'registry.url': {
    kind: 'string',
    fix: 'the registry base URL, e.g. http://127.0.0.1:8081/apis/ccompat/v7',
    check: (v: string) => /^https?:\/\//.test(v),
  },
  'clickhouse.url': {
    kind: 'string',
    fix: 'http(s)://host:8123, or chdb:/abs/dir for embedded chDB',
    check: (v: string) => /^(https?:\/\/|chdb:)/.test(v),
  },
  'clickhouse.database': {
    kind: 'string',
    fix: 'an existing database name, e.g. default',
    check: (v: string) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(v),
  },
  'clickhouse.username': { kind: 'string', fix: 'a ClickHouse user, e.g. default' },
  'clickhouse.exactness': {
    kind: 'string',
    fix: "'insert' (exact with plain queries; needs Replicated tables or a modern server) or 'final' (exact only under FINAL)",
    check: (v: string) => v === 'insert' || v === 'final',
  },
  'clickhouse.cluster': {
    kind: 'string',
    fix: 'a cluster name from system.clusters, e.g. tributary_cluster (empty: no cluster)',
    check: (v: string) => v === '' || /^[A-Za-z_][A-Za-z0-9_]*$/.test(v),
  },
  'clickhouse.shards': {
    kind: 'string',
    fix: "the cluster's replica URLs, shards separated by ';' and replicas by ',', e.g. http://a:8123,http://b:8123;http://c:8123,http://d:8123 (empty: no cluster)",
    check: (v: string) =>
      v === '' || parseShards(v).every((s) => s.length > 0 && s.every((u) => /^https?:\/\//.test(u))),
  },
  'redis.url': { kind: 'string', fix: 'redis://host:6379', check: (v: string) => /^rediss?:\/\//.test(v) },
  'redis.cluster': {
    kind: 'list',
    fix: 'host:port of some Redis Cluster nodes, comma-separated (empty for a single Redis at redis.url)',
    check: (v: string[]) => v.every((n) => /^[^:\s]+:\d+$/.test(n)),
  },
  'metrics.port': {
    kind: 'number',
    fix: 'a TCP port 0-65535 (0 picks a free one)',
    check: (v: number) => Number.isInteger(v) && v >= 0 && v <= 65535,
  },
  'metrics.host': { kind: 'string', fix: 'an interface to listen on, e.g. 127.0.0.1' },
  'log.level': {
    kind: 'string',
    fix: 'one of trace, debug, info, warn, error, fatal',
    check: (v: string) => ['trace', 'debug', 'info', 'warn', 'error', 'fatal'].includes(v),
  },
  'source.maxInFlightRecords': {
    kind: 'number',
    fix: 'a whole number >= 1000',
    check: (v: number) => Number.isInteger(v) && v >= 1000,
  },
  'source.fromBeginning': { kind: 'boolean', fix: 'true or false' },
  'source.sessionTimeoutMs': {
    kind: 'number',
    fix: 'milliseconds between 6000 and 300000',
    check: (v: number) => v >= 6000 && v <= 300000,
  },
  'source.missingTopics': {
    kind: 'string',
    fix: 'wait (until the topic is created) or create (with the broker default partitions)',
    check: (v: string) => v === 'wait' || v === 'create',
  },
  'source.fetchMaxBytes': {
    kind: 'number',
    fix: 'bytes between 65536 and 268435456 (one fetch is held in memory at ~10x this)',
    check: (v: number) => Number.isInteger(v) && v >= 65_536 && v <= 268_435_456,
  },
  'sink.maxBatchRows': {
    kind: 'number',
    fix: 'a whole number between 1 and 1000000',
    check: (v: number) => Number.isInteger(v) && v >= 1 && v <= 1_000_000,
  },
  'sink.flushIntervalMs': {
    kind: 'number',
    fix: 'milliseconds between 10 and 600000',
    check: (v: number) => v >= 10 && v <= 600_000,
  },
  'sink.minFlushIntervalMs': {
    kind: 'number',
    fix: 'milliseconds between 0 and 600000 (0: checkpoint whenever caught up)',
    check: (v: number) => v >= 0 && v <= 600_000,
  },
  'sink.retry.baseMs': { kind: 'number', fix: 'milliseconds >= 1', check: (v: number) => v >= 1 },
  'sink.retry.maxMs': {
    kind: 'number',
    fix: 'milliseconds >= sink.retry.baseMs',
    check: (v: number) => v >= 1,
  },
  'sink.breaker.failureThreshold': {
    kind: 'number',
    fix: 'a whole number >= 1',
    check: (v: number) => Number.isInteger(v) && v >= 1,
  },
  'sink.breaker.resetTimeoutMs': {
    kind: 'number',
    fix: 'milliseconds >= 100',
    check: (v: number) => v >= 100,
  },
  'dedup.maxKeysInMemory': {
    kind: 'number',
    fix: 'a whole number between 10000 and 100000000 (about 42 bytes of memory each): the dedup keys of a topology kept in memory',
    check: (v: number) => Number.isInteger(v) && v >= 10_000 && v <= 100_000_000,
  },
}

const SECRETS = ['kafka.sasl.password', 'registry.password', 'clickhouse.password', 'redis.password'] as const

/** URL settings whose user-info is a secret, and where the credentials go instead. */
const URL_CREDENTIALS: Record<string, string> = {
  'registry.url': 'set TRIBUTARY_REGISTRY_USERNAME and TRIBUTARY_REGISTRY_PASSWORD',
  'clickhouse.url': 'set clickhouse.username and TRIBUTARY_CLICKHOUSE_PASSWORD',
  'redis.url': 'set TRIBUTARY_REDIS_PASSWORD',
}

function defaults(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const e = endpointsFromEnv(env)
  return {
    'kafka.brokers': e.kafkaBrokers,
    'kafka.clientId': 'tributary',
    'kafka.ssl': false,
    'registry.url': e.registryUrl,
    'clickhouse.url': e.clickhouseUrl,
    'clickhouse.database': 'default',
    'clickhouse.username': 'default',
    'clickhouse.exactness': 'insert',
    'clickhouse.cluster': '',
    'clickhouse.shards': '',
    'redis.url': e.redisUrl,
    'redis.cluster': [],
    'metrics.port': e.metricsPort,
    'metrics.host': '127.0.0.1',
    'log.level': 'info',
    'source.maxInFlightRecords': 200_000,
    'source.fromBeginning': true,
    'source.sessionTimeoutMs': 30_000,
    'source.missingTopics': 'wait',
    'source.fetchMaxBytes': 8 * 1024 * 1024,
    'sink.maxBatchRows': 200_000,
    'sink.flushIntervalMs': 2_000,
    'sink.minFlushIntervalMs': 200,
    'sink.retry.baseMs': 100,
    'sink.retry.maxMs': 5_000,
    'sink.breaker.failureThreshold': 3,
    'sink.breaker.resetTimeoutMs': 2_000,
    'dedup.maxKeysInMemory': DEFAULT_MAX_DEDUP_KEYS,
  }
}

/** `sink.maxBatchRows` -> `TRIBUTARY_SINK_MAX_BATCH_ROWS` */
export function envName(field: string): string {
  return `TRIBUTARY_${field
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .replaceAll('.', '_')
    .toUpperCase()}`
}

function flatten(obj: unknown, prefix = '', out: Record<string, unknown> = {}): Record<string, unknown> {
  if (typeof obj === 'object' && obj !== null && !Array.isArray(obj)) {
    for (const [k, v] of Object.entries(obj)) flatten(v, prefix ? `${prefix}.${k}` : k, out)
  } else {
    out[prefix] = obj
  }
  return out
}

function coerce(field: string, kind: Shape[string], raw: unknown, origin: string, fix: string): unknown {
  const bad = (): never => {
    throw new ConfigError(field, `${JSON.stringify(raw)} (from ${origin}) is not valid`, fix)
  }
  if (typeof raw !== 'string') {
    if (kind === 'list' && Array.isArray(raw)) return raw.map(String)
    if (kind === 'number' && typeof raw === 'number') return raw
    if (kind === 'boolean' && typeof raw === 'boolean') return raw
    if (kind === 'string' && typeof raw === 'string') return raw
    return bad()
  }
  switch (kind) {
    case 'list':
      return raw
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    case 'number': {
      const n = Number(raw)
      return raw.trim() === '' || Number.isNaN(n) ? bad() : n
    }
    case 'boolean':
      return raw === 'true' || raw === '1' ? true : raw === 'false' || raw === '0' ? false : bad()
    default:
      return raw
  }
}

function unflatten(flat: Record<string, unknown>): Record<string, unknown> {
  const root: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(flat)) {
    const parts = key.split('.')
    let node = root
    for (const p of parts.slice(0, -1)) {
      node[p] ??= {}
      node = node[p] as Record<string, unknown>
    }
    node[parts.at(-1)!] = value
  }
  return root
}

export interface LoadOptions {
  readonly env?: NodeJS.ProcessEnv
  /** Directory holding `<environment>.json`; default `topologies/environments`. */
  readonly dir?: string
  readonly environment?: string
}

export function loadConfig(options: LoadOptions = {}): TributaryConfig {
  const env = options.env ?? process.env
  const environment = options.environment ?? env.TRIBUTARY_ENV ?? 'dev'
  const dir = options.dir ?? path.resolve('topologies/environments')
  const flat: Record<string, unknown> = defaults(env)

  const file = path.join(dir, `${environment}.json`)
  if (existsSync(file)) {
    let parsed: unknown
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8'))
    } catch (err) {
      throw new ConfigError(file, `is not valid JSON (${(err as Error).message})`, 'fix the JSON syntax')
    }
    for (const [field, raw] of Object.entries(flatten(parsed))) {
      if ((SECRETS as readonly string[]).includes(field)) {
        throw new ConfigError(
          field,
          `found in ${file}; secrets never live in files`,
          `remove it and set ${envName(field)} instead`,
        )
      }
      const urlFix = URL_CREDENTIALS[field]
      if (urlFix !== undefined && typeof raw === 'string' && hasUrlCredentials(raw)) {
        throw new ConfigError(
          field,
          `carries credentials (${redactUrl(raw)} in ${file}); secrets never live in files`,
          `remove the user:password@ part and ${urlFix} instead`,
        )
      }
      const spec = FIELDS[field]
      if (!spec)
        throw new ConfigError(
          field,
          `is not a known setting (in ${file})`,
          `remove it; known settings: ${Object.keys(FIELDS).join(', ')}`,
        )
      flat[field] = coerce(field, spec.kind, raw, file, spec.fix)
    }
  } else if (options.environment !== undefined || env.TRIBUTARY_ENV !== undefined) {
    throw new ConfigError(
      'TRIBUTARY_ENV',
      `no file ${file} for environment ${JSON.stringify(environment)}`,
      `create it or pick one of the files in ${dir}`,
    )
  }

  for (const [field, spec] of Object.entries(FIELDS)) {
    const raw = env[envName(field)]
    if (raw !== undefined) flat[field] = coerce(field, spec.kind, raw, envName(field), spec.fix)
  }
  for (const [field, spec] of Object.entries(FIELDS)) {
    if (spec.check && !(spec.check as (v: unknown) => boolean)(flat[field])) {
      throw new ConfigError(field, `${JSON.stringify(flat[field])} is not valid`, spec.fix)
    }
  }
  if ((flat['sink.retry.maxMs'] as number) < (flat['sink.retry.baseMs'] as number)) {
    throw new ConfigError(
      'sink.retry.maxMs',
      `${flat['sink.retry.maxMs']} is below sink.retry.baseMs`,
      'raise it to at least sink.retry.baseMs',
    )
  }

  const cluster = flat['clickhouse.cluster'] as string
  const shards = flat['clickhouse.shards'] as string
  if ((cluster === '') !== (shards === '')) {
    throw new ConfigError(
      cluster === '' ? 'clickhouse.cluster' : 'clickhouse.shards',
      cluster === '' ? 'is required with clickhouse.shards' : 'is required with clickhouse.cluster',
      cluster === ''
        ? `set ${envName('clickhouse.cluster')} to the name of the cluster the shards form, or unset ${envName('clickhouse.shards')}`
        : `set ${envName('clickhouse.shards')} to the cluster's replica URLs (${FIELDS['clickhouse.shards']!.fix}), or unset ${envName('clickhouse.cluster')}`,
    )
  }

  const cfg = unflatten(flat) as Record<string, Record<string, unknown>>
  if (cluster === '') {
    delete cfg.clickhouse!.cluster
    delete cfg.clickhouse!.shards
  } else cfg.clickhouse!.shards = parseShards(shards)
  const mechanism = env.TRIBUTARY_KAFKA_SASL_MECHANISM
  if (mechanism !== undefined) {
    if (!['plain', 'scram-sha-256', 'scram-sha-512'].includes(mechanism)) {
      throw new ConfigError(
        'kafka.sasl.mechanism',
        `${JSON.stringify(mechanism)} is not supported`,
        'use plain, scram-sha-256 or scram-sha-512',
      )
    }
    const username = env.TRIBUTARY_KAFKA_SASL_USERNAME
    const password = env.TRIBUTARY_KAFKA_SASL_PASSWORD
    if (!username || !password) {
      throw new ConfigError(
        'kafka.sasl',
        'a mechanism is set but the username or password is missing',
        'set TRIBUTARY_KAFKA_SASL_USERNAME and TRIBUTARY_KAFKA_SASL_PASSWORD',
      )
    }
    cfg.kafka!.sasl = { mechanism, username, password }
  }
  if (env.TRIBUTARY_REGISTRY_USERNAME) {
    cfg.registry!.username = env.TRIBUTARY_REGISTRY_USERNAME
    cfg.registry!.password = env.TRIBUTARY_REGISTRY_PASSWORD ?? ''
  }
  cfg.clickhouse!.password = env.TRIBUTARY_CLICKHOUSE_PASSWORD ?? ''
  if (env.TRIBUTARY_REDIS_PASSWORD) cfg.redis!.password = env.TRIBUTARY_REDIS_PASSWORD
  return { environment, ...cfg } as unknown as TributaryConfig
}

/** `a,b;c,d` -> [[a, b], [c, d]]: shards separated by `;`, a shard's replicas by `,`. */
function parseShards(v: string): string[][] {
  return v.split(';').map((shard) =>
    shard
      .split(',')
      .map((u) => u.trim())
      .filter(Boolean),
  )
}

/**
 * The effective configuration with every secret masked, for `tributary config check` and logs:
 * passwords, and the credentials a URL from the environment may carry.
 */
export function maskSecrets(config: TributaryConfig): unknown {
  return JSON.parse(
    JSON.stringify(config, (key, value) => {
      if (typeof value !== 'string' || value === '') return value
      return /password/i.test(key) ? '***' : redactUrl(value)
    }),
  )
}
