import type { Kafka } from 'kafkajs'
import type { Logger } from 'pino'
import type { ClickHouse } from '../clickhouse/client.ts'
import type { Features } from '../clickhouse/features.ts'
import type { TributaryConfig } from '../config/config.ts'
import { redactUrl } from '../config/url-credentials.ts'
import { permanentKafkaError } from '../errors/kafka-errors.ts'
import { ConfigError } from '../errors/tributary-error.ts'
import { ENGINE_EVENTS, type EngineEvents } from '../observability/events.ts'
import type { Layer } from '../observability/labels.ts'
import type { PipelineSinks } from '../pipeline/pipeline.ts'
import type { Envelope, KafkaRecord } from '../records/record.ts'
import type { Rejection } from '../records/rejection.ts'
import { CircuitBreaker } from '../resilience/circuit-breaker.ts'
import { isRetriableError, retry } from '../resilience/retry.ts'
import { currentViewSql } from '../sinks/clickhouse/current.ts'
import {
  bronzeTable,
  dedupOnInsert,
  lateTable,
  openQuarantineViewSql,
  processingLogTable,
  quarantineResolvedTable,
  quarantineTable,
  silverTable,
} from '../sinks/clickhouse/ddl.ts'
import { ensureTable, ensureView } from '../sinks/clickhouse/ensure-table.ts'
import { goldLine, goldPartialsTable, goldViewName, goldViewSql } from '../sinks/clickhouse/gold.ts'
import { createInserter, type Inserter } from '../sinks/clickhouse/inserter.ts'
import { DeadLetterSink } from '../sinks/dead-letter-sink.ts'
import { FanoutSink } from '../sinks/fanout-sink.ts'
import { ensureDeadLetterTopic } from '../sinks/kafka/dead-letter-topic.ts'
import { type DeadLetterTransport, TransactionalDeadLetters } from '../sinks/kafka/dead-letter-transport.ts'
import { quarantineRefused } from '../sinks/refused-rows.ts'
import { bronzeRows, rejectionRows, silverEncoder } from '../sinks/rows.ts'
import type { Sink } from '../sinks/sink.ts'
import { jsonLines, TableSink } from '../sinks/table-sink.ts'
import type { AnyTopology } from '../topology/define.ts'
import { tableNames } from '../topology/table-names.ts'
import type { GoldRow } from '../windows/gold-row.ts'

/**
 * Creates or evolves every table a topology writes, and its gold views; returns each table's layer.
 * Refuses, before anything is written, a target where a replayed epoch would land twice, unless the
 * configuration accepts exactness under FINAL only.
 */
export async function ensureTables(
  topology: AnyTopology,
  clickhouse: ClickHouse,
  features: Features,
  config: TributaryConfig,
  log: Logger,
): Promise<Map<string, Layer>> {
  if (!dedupOnInsert(features) && config.clickhouse.exactness === 'insert')
    throw new ConfigError(
      'clickhouse.exactness',
      `ClickHouse ${features.version} at ${redactUrl(config.clickhouse.url)} can neither replicate (no ZooKeeper, or no shard/replica macros) nor deduplicate inserts into plain MergeTree tables, so a block replayed after a crash would be counted twice by plain queries`,
      'give the server ZooKeeper and <macros> (the local stack does), or use ClickHouse 22.2+ or chDB; or set TRIBUTARY_CLICKHOUSE_EXACTNESS=final to accept tables exact only under FINAL',
    )
  if (!dedupOnInsert(features))
    log.warn(
      'clickhouse.exactness=final: tables are exact only under FINAL (replays collapse as merges happen)',
    )
  const def = topology.definition
  const specs = [
    ...(topology.tables.bronze ? [[bronzeTable(topology.entity, features), 'bronze'] as const] : []),
    ...(topology.tables.silver ? [[silverSpec(topology, features), 'silver'] as const] : []),
    [quarantineTable(topology.entity, features), 'quarantine'] as const,
    ...(topology.tables.late ? [[lateTable(topology.entity, features), 'late'] as const] : []),
    ...(def.gold ?? []).map((g) => [goldPartialsTable(g, features), 'gold'] as const),
  ]
  const layers = new Map<string, Layer>()
  for (const [spec, layer] of specs) {
    const res = await ensureTable(clickhouse, spec, config.clickhouse.cluster)
    layers.set(spec.name, layer)
    log.info({ table: spec.name, ...res }, 'table ready')
  }
  await ensureTable(clickhouse, processingLogTable(features), config.clickhouse.cluster)
  // Written by `tributary reprocess` only; made here so the open-quarantine view always exists.
  await ensureTable(clickhouse, quarantineResolvedTable(topology.entity, features), config.clickhouse.cluster)
  await ensureView(
    clickhouse,
    tableNames.quarantineOpen(topology.entity),
    openQuarantineViewSql(topology.entity, config.clickhouse.cluster),
  )
  for (const g of def.gold ?? [])
    await ensureView(clickhouse, goldViewName(g), goldViewSql(g, features, config.clickhouse.cluster))
  const changes = def.source.changes
  if (changes && topology.tables.current)
    await ensureView(
      clickhouse,
      topology.tables.current,
      currentViewSql(
        silverSpec(topology, features),
        topology.tables.current,
        changes.key,
        config.clickhouse.cluster,
      ),
    )
  return layers
}

function silverSpec(topology: AnyTopology, features: Features) {
  const { format, changes } = topology.definition.source
  return silverTable(
    topology.entity,
    format.schema,
    features,
    changes ? { key: changes.key, features } : undefined,
  )
}

/**
 * The retrying, circuit-broken ClickHouse inserter of one topology. `onWait` runs between attempts
 * (it may throw to give up, and heartbeats the consumer group so a long outage keeps the member).
 */
export function topologyInserter(opts: {
  topology: string
  clickhouse: ClickHouse
  config: TributaryConfig
  events: EngineEvents
  onWait: () => Promise<void>
}): Inserter {
  const { topology, config, events } = opts
  const breaker = new CircuitBreaker({
    name: 'clickhouse',
    failureThreshold: config.sink.breaker.failureThreshold,
    resetTimeoutMs: config.sink.breaker.resetTimeoutMs,
    isFailure: isRetriableError,
    onStateChange: (state, previous) =>
      events.emit(ENGINE_EVENTS.CIRCUIT_STATE, { topology, target: 'clickhouse', state, previous }),
  })
  events.emit(ENGINE_EVENTS.CIRCUIT_STATE, {
    topology,
    target: 'clickhouse',
    state: 'closed',
    previous: 'closed',
  })
  return createInserter(opts.clickhouse, {
    breaker,
    retry: {
      retries: Number.POSITIVE_INFINITY,
      baseMs: config.sink.retry.baseMs,
      maxMs: config.sink.retry.maxMs,
    },
    onWait: async (w) => {
      events.emit(ENGINE_EVENTS.SINK_RETRY, {
        topology,
        target: `clickhouse:${w.table}`,
        attempt: w.attempt,
        delayMs: w.remainingMs,
        error: w.error,
      })
      await opts.onWait()
    },
  })
}

/** The dead-letter topic, created to take what its sources take, and its transactional senders. */
export interface DeadLetters {
  /** The epoch's rejects. */
  readonly transport: DeadLetterTransport
  /** Rows ClickHouse refused at insert, sent beside the epoch's rejects under their own markers. */
  readonly refused: DeadLetterTransport
  /** The topic's `max.message.bytes`: a larger reject is sent truncated. */
  readonly maxMessageBytes: number
}

export async function deadLetters(kafka: Kafka, topology: AnyTopology, group: string): Promise<DeadLetters> {
  const topic = topology.deadLetterTopic
  const maxMessageBytes = await ensureDeadLetterTopic(kafka, topic, topology.definition.source.topics)
  return {
    transport: new TransactionalDeadLetters({ kafka, topic, group }),
    refused: new TransactionalDeadLetters({ kafka, topic, group: `${group}-refused` }),
    maxMessageBytes,
  }
}

/** Every sink of a topology, and the same sinks as the pipeline addresses them. */
export interface TopologySinks {
  readonly all: readonly Sink<never>[]
  readonly pipeline: PipelineSinks<object>
}

export function topologySinks(opts: {
  topology: AnyTopology
  features: Features
  inserter: Inserter
  deadLetters: DeadLetters
  config: TributaryConfig
  events: EngineEvents
  /** The ingest time of a partition's rows (fixed per epoch, see EpochLedger). */
  ingestTime: (topic: string, partition: number) => number
  /** Between attempts while the DLQ's broker is unreachable (heartbeats the group; may throw to give up). */
  onWait: () => Promise<void>
}): TopologySinks {
  const { topology, features, inserter, config, events, ingestTime } = opts
  const def = topology.definition
  const writer = {
    insertRaw: async (...args: Parameters<Inserter['insertRaw']>) => {
      await inserter.insertRaw(...args)
    },
  }
  const dlqSink = (transport: DeadLetterTransport) =>
    new DeadLetterSink({
      transport,
      topic: topology.deadLetterTopic,
      maxMessageBytes: opts.deadLetters.maxMessageBytes,
      withRetry: (fn) =>
        retry(fn, {
          retries: Number.POSITIVE_INFINITY,
          baseMs: config.sink.retry.baseMs,
          maxMs: config.sink.retry.maxMs,
          // kafkajs calls a broker outage non-retriable once its own retries ran out: wait it out.
          isRetriable: (e) => permanentKafkaError(e) === undefined,
          onRetry: async (r) => {
            events.emit(ENGINE_EVENTS.SINK_RETRY, { topology: topology.name, target: 'dlq', ...r })
            await opts.onWait()
          },
        }),
    })
  const rejectTable = (table: string, tokenPrefix?: string) =>
    new TableSink<Rejection>({
      table,
      writer,
      encoder: rejectionRows,
      partitionOf: (x) => x.source,
      source: (x) => x.source,
      ingestTime,
      ...(tokenPrefix ? { tokenPrefix } : {}),
    })
  const quarantine = rejectTable(topology.tables.quarantine)
  const dlq = dlqSink(opts.deadLetters.transport)
  const bronze = topology.tables.bronze
    ? new TableSink<KafkaRecord>({
        table: topology.tables.bronze,
        writer,
        encoder: bronzeRows,
        partitionOf: (r) => r,
        source: (r) => r,
        ingestTime,
      })
    : undefined
  const encoder = silverEncoder(def.source, features)
  const silver = topology.tables.silver
    ? new TableSink<Envelope<object>>({
        table: topology.tables.silver,
        writer,
        encoder,
        partitionOf: (e) => e.source,
        source: (e) => e.source,
        eventTime: (e) => e.eventTime,
        ingestTime,
        // Their own quarantine blocks (named apart from the epoch's) and DLQ markers.
        onRefused: quarantineRefused({
          topology: topology.name,
          rejects: new FanoutSink<Rejection>('refused', [
            rejectTable(
              topology.tables.quarantine,
              `${topology.tables.quarantine}<-${topology.tables.silver}`,
            ),
            dlqSink(opts.deadLetters.refused),
          ]),
          counted: (count) =>
            events.emit(ENGINE_EVENTS.RECORD_DEAD_LETTERED, {
              topology: topology.name,
              stage: 'load',
              reasonCode: 'INSERT_REFUSED',
              count,
              topic: '',
              partition: -1,
              firstOffset: '',
              message: 'INSERT_REFUSED',
            }),
        }),
      })
    : undefined
  const late = topology.tables.late ? rejectTable(topology.tables.late) : undefined
  const gold = new Map(
    (def.gold ?? []).map((g) => [
      g.name,
      new TableSink<GoldRow>({
        table: goldPartialsTable(g, features).name,
        writer,
        encoder: jsonLines(goldLine(g)),
        partitionOf: (row) => row,
        ingestTime,
      }),
    ]),
  )
  const all = [bronze, silver, quarantine, dlq, late, ...gold.values()].filter((s) => s !== undefined)
  return {
    all: all as Sink<never>[],
    pipeline: {
      ...(bronze ? { bronze } : {}),
      ...(silver ? { silver } : {}),
      rejects: new FanoutSink<Rejection>('rejects', [quarantine, dlq]),
      ...(late ? { late, gold } : {}),
    },
  }
}
