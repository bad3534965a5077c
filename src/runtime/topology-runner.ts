import { setImmediate } from 'node:timers/promises'
import { type Consumer, type EachBatchPayload, type Kafka, Partitioners, type Producer } from 'kafkajs'
import type { Logger } from 'pino'
import { commitEpoch, type EpochResult, type TopicPartitionOffset } from '../checkpoint/epoch.ts'
import type { TributaryConfig } from '../config/config.ts'
import { ENGINE_EVENTS, type EngineEvents } from '../observability/events.ts'
import type { Layer } from '../observability/labels.ts'
import type { Metrics } from '../observability/metrics.ts'
import { CircuitBreaker } from '../resilience/circuit-breaker.ts'
import { isRetriableError, retry } from '../resilience/retry.ts'
import { bindFormat } from '../serde/bind.ts'
import type { ValueSerde } from '../serde/format.ts'
import type { SchemaRegistry } from '../serde/registry.ts'
import { columnCheck } from '../sinks/clickhouse/capacity.ts'
import type { ClickHouse } from '../sinks/clickhouse/client.ts'
import {
  bronzeTable,
  lateTable,
  processingLogTable,
  quarantineTable,
  silverTable,
} from '../sinks/clickhouse/ddl.ts'
import { ensureTable } from '../sinks/clickhouse/ensure-table.ts'
import { type GoldRow, goldLine, goldPartialsTable, goldViewSql } from '../sinks/clickhouse/gold.ts'
import type { InsertBody, InsertFormat } from '../sinks/clickhouse/insert-body.ts'
import { createInserter, type Inserter } from '../sinks/clickhouse/inserter.ts'
import { rowFor } from '../sinks/clickhouse/types.ts'
import { DeadLetterSink } from '../sinks/dead-letter-sink.ts'
import { FanoutSink } from '../sinks/fanout-sink.ts'
import { ensureDeadLetterTopic } from '../sinks/kafka/dead-letter-topic.ts'
import { quarantineRefused } from '../sinks/refused-rows.ts'
import { bronzeRows, rejectionRows, silverLine } from '../sinks/rows.ts'
import type { Sink } from '../sinks/sink.ts'
import { jsonLines, type TableFlushResult, TableSink } from '../sinks/table-sink.ts'
import { toRecord } from '../sources/kafka/to-record.ts'
import { PartitionStates, partitionKey } from '../state/partition-states.ts'
import { createRedisStore } from '../state/redis-store.ts'
import type { PartitionCommit, StateStore } from '../state/state-store.ts'
import { type AnyTopology, decodes } from '../topology/define.ts'
import { buildPipeline, type Pipeline } from '../topology/pipeline.ts'
import type { Envelope, KafkaRecord } from '../topology/record.ts'
import type { Rejection } from '../topology/rejection.ts'
import { Serial } from './serial.ts'
import { StatsReporter } from './stats-reporter.ts'

export interface RunnerDeps {
  readonly topology: AnyTopology
  readonly config: TributaryConfig
  readonly kafka: Kafka
  readonly registry: SchemaRegistry
  readonly clickhouse: ClickHouse
  readonly metrics: Metrics
  readonly events: EngineEvents
  readonly logger: Logger
  /** Defaults to Redis at `redis.url` when a topology is stateful. */
  readonly stateStore?: StateStore
}

/**
 * Records per synchronous push through the pipeline. A fetched batch can hold ~40k records (half a
 * second of work); the landing epoch's insert bodies, Redis writes and heartbeats only move while
 * the event loop turns, so the batch goes through in slices with a turn between them.
 */
const PUSH_SLICE = 2_048

/** Not a failure: the epoch flushed its rows but must not write state or offsets yet. */
class CheckpointDeferred extends Error {}

/**
 * Runs one topology: a consumer group reading its topics in batches, the synchronous pipeline,
 * and epochs (flush sinks, then commit offsets) every `sink.flushIntervalMs` (or every
 * `sink.minFlushIntervalMs` once it has caught up with its partitions), whenever a table
 * buffers `sink.maxBatchRows`, and whenever records since the last epoch pass
 * `source.maxInFlightRecords`. An epoch's writes overlap the next epoch's processing; backpressure
 * is that the next epoch cannot start until they landed, and the batch handler waits for that, so
 * kafkajs fetches nothing more while ClickHouse is slow or down.
 */
export class TopologyRunner {
  readonly name: string
  private readonly deps: RunnerDeps
  private readonly log: Logger
  private readonly serial = new Serial()
  private readonly pending = new Map<string, TopicPartitionOffset>()
  private readonly consumedInEpoch = new Map<string, number>()
  /** Records behind the high watermark per partition, as of its last batch. */
  private readonly backlog = new Map<string, number>()
  private consumer?: Consumer
  private producer?: Producer
  private pipeline?: Pipeline
  private serde?: ValueSerde<unknown>
  private inserter?: Inserter
  private sinks: Sink<never>[] = []
  private tableLayers = new Map<string, Layer>()
  private reporter?: StatsReporter
  private timer?: NodeJS.Timeout
  private heartbeat?: () => Promise<void>
  private store?: StateStore
  private readonly states = new PartitionStates()
  /** Records processed since the last epoch started. */
  private inFlight = 0
  /** The latest epoch's writes; settled when they landed. */
  private landing: Promise<void> = Promise.resolve()
  /** Partitions of the latest assignment; unknown until the first. */
  private owned?: ReadonlySet<string>
  /** State a rebalance kept from being written; written first by the next epoch. */
  private deferredState: PartitionCommit[] = []
  /** Set when kafkajs starts rejoining the group, cleared by the assignment that follows. */
  private rebalancing = false
  private lastEpoch = Date.now()
  private stopping = false
  private started = false
  private failure: unknown
  private resolveDone!: () => void
  private rejectDone!: (err: unknown) => void
  /** Settles when the runner has stopped: resolved after a clean stop, rejected on a fatal error. */
  readonly done: Promise<void>

  constructor(deps: RunnerDeps) {
    this.deps = deps
    this.name = deps.topology.name
    this.log = deps.logger.child({ topology: this.name })
    this.done = new Promise((resolve, reject) => {
      this.resolveDone = resolve
      this.rejectDone = reject
    })
    this.done.catch(() => {})
  }

  get ready(): boolean {
    return this.started && !this.stopping && this.failure === undefined
  }

  get groupId(): string {
    return `tributary-${this.name}`
  }

  async start(): Promise<void> {
    const { topology, config, kafka, clickhouse, metrics, events } = this.deps
    const def = topology.definition
    const features = await clickhouse.features()

    const specs = [
      ...(topology.tables.bronze ? [[bronzeTable(topology.entity, features), 'bronze'] as const] : []),
      ...(topology.tables.silver
        ? [[silverTable(topology.entity, def.source.format.schema, features), 'silver'] as const]
        : []),
      [quarantineTable(topology.entity, features), 'quarantine'] as const,
      ...(topology.tables.late ? [[lateTable(topology.entity, features), 'late'] as const] : []),
      ...(def.gold ?? []).map((g) => [goldPartialsTable(g, features), 'gold'] as const),
    ]
    for (const [spec, layer] of specs) {
      const res = await ensureTable(clickhouse, spec)
      this.tableLayers.set(spec.name, layer)
      this.log.info({ table: spec.name, ...res }, 'table ready')
    }
    await ensureTable(clickhouse, processingLogTable(features))
    for (const g of def.gold ?? []) await clickhouse.command(goldViewSql(g, features))

    const breaker = new CircuitBreaker({
      name: 'clickhouse',
      failureThreshold: config.sink.breaker.failureThreshold,
      resetTimeoutMs: config.sink.breaker.resetTimeoutMs,
      isFailure: isRetriableError,
      onStateChange: (state, previous) =>
        events.emit(ENGINE_EVENTS.CIRCUIT_STATE, {
          topology: this.name,
          target: 'clickhouse',
          state,
          previous,
        }),
    })
    metrics.circuitState(this.name, 'clickhouse', 'closed')
    this.inserter = createInserter(clickhouse, {
      breaker,
      retry: {
        retries: Number.POSITIVE_INFINITY,
        baseMs: config.sink.retry.baseMs,
        maxMs: config.sink.retry.maxMs,
      },
      onWait: async (w) => {
        if (this.failure !== undefined) throw this.failure
        events.emit(ENGINE_EVENTS.SINK_RETRY, {
          topology: this.name,
          target: `clickhouse:${w.table}`,
          attempt: w.attempt,
          delayMs: w.remainingMs,
          error: w.error,
        })
        await this.heartbeat?.().catch(() => {})
      },
    })

    const writer = {
      insertRaw: async (table: string, body: InsertBody, rows: number, format: InsertFormat) => {
        const started = Date.now()
        await this.inserter!.insertRaw(table, body, rows, format)
        metrics.sinkLatency(this.name, table, (Date.now() - started) / 1000)
      },
    }
    this.serde = bindFormat(def.source.format, this.deps.registry)

    // Not idempotent: on a freshly started Kafka 4 broker, kafkajs' InitProducerId can wait forever
    // on the loading transaction coordinator (seen as a hung start-up in CI). A DLQ record sent twice
    // after a retry is harmless: each carries its source topic, partition and offset in its headers.
    this.producer = kafka.producer({
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    })
    await this.producer.connect()
    const dlqMaxBytes = await ensureDeadLetterTopic(kafka, topology.deadLetterTopic, def.source.topics)
    const producer = this.producer
    const rejectSinks = () =>
      [
        new TableSink<Rejection>({
          table: topology.tables.quarantine,
          writer,
          encoder: rejectionRows,
          source: (x) => x.source,
        }),
        new DeadLetterSink({
          producer,
          topic: topology.deadLetterTopic,
          maxMessageBytes: dlqMaxBytes,
          withRetry: (fn) =>
            retry(fn, {
              retries: Number.POSITIVE_INFINITY,
              baseMs: config.sink.retry.baseMs,
              maxMs: config.sink.retry.maxMs,
              isRetriable: (e) => (e as { retriable?: boolean }).retriable !== false,
              onRetry: () => metrics.retries(this.name, 'dlq'),
            }),
        }),
      ] as const
    const [quarantine, dlq] = rejectSinks()
    const rejects = new FanoutSink<Rejection>('rejects', [quarantine, dlq])
    const bronze = topology.tables.bronze
      ? new TableSink<KafkaRecord>({
          table: topology.tables.bronze,
          writer,
          encoder: bronzeRows,
          source: (r) => r,
        })
      : undefined
    const toRow = rowFor<object>(def.source.format.schema, features)
    const silver = topology.tables.silver
      ? new TableSink<Envelope<object>>({
          table: topology.tables.silver,
          writer,
          encoder: jsonLines(silverLine(toRow)),
          source: (e) => e.source,
          eventTime: (e) => e.eventTime,
          onRefused: quarantineRefused({
            topology: this.name,
            rejects: new FanoutSink<Rejection>('refused', rejectSinks()),
            source: (e: Envelope<object>) => e.source,
            counted: (n) => metrics.records(this.name, 'load', 'quarantine', 'invalid', n),
          }),
        })
      : undefined
    const late = topology.tables.late
      ? new TableSink<Rejection>({
          table: topology.tables.late,
          writer,
          encoder: rejectionRows,
          source: (x) => x.source,
        })
      : undefined
    const gold = new Map(
      (def.gold ?? []).map((g) => [
        g.name,
        new TableSink<GoldRow>({
          table: goldPartialsTable(g, features).name,
          writer,
          encoder: jsonLines(goldLine(g)),
        }),
      ]),
    )
    this.sinks = [bronze, silver, quarantine, dlq, late, ...gold.values()].filter(
      (s) => s !== undefined,
    ) as Sink<never>[]
    if (def.dedup || gold.size > 0) this.store = this.deps.stateStore ?? createRedisStore(config.redis.url)
    this.pipeline = buildPipeline(
      topology,
      this.serde,
      {
        ...(bronze ? { bronze } : {}),
        ...(silver ? { silver } : {}),
        rejects,
        ...(late ? { late, gold } : {}),
      },
      { partitions: this.states, clock: Date.now },
      { columns: columnCheck(def.source.format.schema, features) },
    )
    this.reporter = new StatsReporter(this.name, this.pipeline.stats, metrics, events)

    const consumer = kafka.consumer({
      groupId: this.groupId,
      sessionTimeout: config.source.sessionTimeoutMs,
      heartbeatInterval: Math.min(3000, Math.floor(config.source.sessionTimeoutMs / 5)),
      maxBytesPerPartition: 4 * 1024 * 1024,
      maxBytes: 32 * 1024 * 1024,
      maxWaitTimeInMs: 200,
    })
    this.consumer = consumer
    consumer.on(consumer.events.REBALANCING, () => {
      this.rebalancing = true
    })
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      const assignment = e.payload.memberAssignment as Record<string, number[]>
      const partitions = Object.entries(assignment).flatMap(([topic, ps]) =>
        ps.map((partition) => ({ topic, partition })),
      )
      events.emit(ENGINE_EVENTS.REBALANCE_ASSIGNED, { topology: this.name, partitions })
      void this.serial.run(async () => this.onAssigned(partitions)).catch((err) => this.fail(err))
    })
    consumer.on(consumer.events.CRASH, (e) => {
      if (!e.payload.restart) this.fail(e.payload.error)
    })
    await consumer.connect()
    await consumer.subscribe({ topics: [...def.source.topics], fromBeginning: config.source.fromBeginning })
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: (payload) => this.onBatch(payload),
    })
    const { flushIntervalMs, minFlushIntervalMs } = config.sink
    const tick = Math.max(20, Math.floor(Math.min(flushIntervalMs / 4, minFlushIntervalMs / 2)))
    this.timer = setInterval(() => this.onTimer(), tick)
    this.started = true
    this.log.info(
      { topics: def.source.topics, group: this.groupId, tables: topology.tables },
      'topology running',
    )
  }

  private async onBatch({
    batch,
    heartbeat,
    isRunning,
    isStale,
    resolveOffset,
  }: EachBatchPayload): Promise<void> {
    if (batch.messages.length === 0) return
    await this.serial
      .run(async () => {
        if (this.stopping || this.failure !== undefined || !isRunning() || isStale()) return
        this.heartbeat = heartbeat
        const started = Date.now()
        let records = batch.messages.map((m) => toRecord(batch.topic, batch.partition, m))
        const resumeAt = await this.loadState(batch.topic, batch.partition)
        // Records below the checkpointed offset are durable already (state was saved, the Kafka commit
        // was not): skip them, or dedup would count them as duplicates of themselves.
        if (resumeAt !== null) records = records.filter((r) => BigInt(r.offset) >= resumeAt)
        if (records.length === 0) {
          resolveOffset(batch.messages[batch.messages.length - 1]!.offset)
          return
        }
        const serde = this.serde!
        // Writer schemas come from the registry; while it is down, wait rather than dead-letter.
        if (decodes(this.deps.topology))
          await retry(() => serde.prepare(records.map((r) => r.value)), {
            retries: Number.POSITIVE_INFINITY,
            baseMs: 200,
            maxMs: 5_000,
            onRetry: async () => {
              this.deps.metrics.retries(this.name, 'registry')
              await heartbeat().catch(() => {})
            },
          })
        for (let i = 0; i < records.length; i += PUSH_SLICE) {
          if (i > 0) await setImmediate()
          this.pipeline!.push(records.slice(i, i + PUSH_SLICE))
        }
        const last = records[records.length - 1]!
        // Tells kafkajs where to fetch next; nothing is committed until the epoch makes it durable.
        resolveOffset(last.offset)
        const key = partitionKey(batch.topic, batch.partition)
        this.pending.set(key, {
          topic: batch.topic,
          partition: batch.partition,
          offset: String(BigInt(last.offset) + 1n),
        })
        this.consumedInEpoch.set(key, (this.consumedInEpoch.get(key) ?? 0) + records.length)
        this.inFlight += records.length
        const { metrics } = this.deps
        metrics.inFlight(this.name, this.inFlight)
        const lag = Math.max(0, Number(batch.highWatermark) - Number(last.offset) - 1)
        this.backlog.set(key, lag)
        metrics.consumerLag(this.name, batch.topic, batch.partition, lag)
        metrics.batchDuration(this.name, 'process', (Date.now() - started) / 1000)
        this.reporter!.report()
        if (this.epochDue()) await this.epoch()
      })
      .catch((err) => this.fail(err)) // kafkajs would retry the batch on a pipeline that has died
  }

  /** Loads a partition's state the first time its records arrive; returns the offset to resume at. */
  private async loadState(topic: string, partition: number): Promise<bigint | null> {
    if (!this.store) return null
    if (!this.states.has(topic, partition)) {
      const started = Date.now()
      const ref = { topology: this.name, topic, partition }
      const store = this.store
      const state = await retry(() => store.load(ref, Date.now()), {
        retries: Number.POSITIVE_INFINITY,
        baseMs: 200,
        maxMs: 5_000,
      })
      this.states.set(topic, partition, state)
      this.deps.events.emit(ENGINE_EVENTS.CHECKPOINT_RESTORE, {
        topology: this.name,
        checkpointId: state.offset,
        durationMs: Date.now() - started,
        keys: state.dedup.size + state.kv.size,
      })
    }
    const offset = this.states.get(topic, partition).offset
    return offset === null ? null : BigInt(offset)
  }

  /**
   * Takes each partition's state changes with its offset, synchronously at the start of an epoch:
   * the partitions of this epoch, plus any whose windows a tick closed without new records (they
   * keep their checkpointed offset). Changes made after this belong to the next epoch.
   */
  private takeState(offsets: readonly TopicPartitionOffset[]): PartitionCommit[] {
    if (!this.store) return []
    const next = new Map(offsets.map((o) => [partitionKey(o.topic, o.partition), o]))
    for (const p of this.states.withChanges()) {
      const key = partitionKey(p.topic, p.partition)
      const offset = this.states.has(p.topic, p.partition)
        ? this.states.get(p.topic, p.partition).offset
        : null
      if (offset !== null && !next.has(key)) next.set(key, { ...p, offset })
    }
    return [...next.values()]
      .filter((o) => this.states.has(o.topic, o.partition))
      .map((o) => {
        this.states.get(o.topic, o.partition).offset = o.offset
        return {
          ref: { topology: this.name, topic: o.topic, partition: o.partition },
          changes: this.states.take(o.topic, o.partition),
          offset: o.offset,
        }
      })
  }

  /** Writes an epoch's state, after any a rebalance deferred (older first, as the stores apply them). */
  private async saveState(taken: readonly PartitionCommit[]): Promise<void> {
    if (!this.store) return
    // A partition may already be on its way to another member, which loads its state when the
    // rebalance completes: writing ours now could land after that load. Defer to the next epoch.
    if (this.rebalancing) {
      this.deferredState.push(...taken)
      throw new CheckpointDeferred()
    }
    // An epoch lands in the background, so the group may have moved partitions since it started:
    // a partition given away must not get this member's state after its new owner loaded it.
    const batch = [...this.deferredState, ...taken].filter((c) =>
      this.states.has(c.ref.topic, c.ref.partition),
    )
    this.deferredState = []
    if (batch.length === 0) return
    const store = this.store
    const { bytes } = await retry(() => store.commit(batch, Date.now()), {
      retries: Number.POSITIVE_INFINITY,
      baseMs: 200,
      maxMs: 5_000,
    })
    const { metrics } = this.deps
    metrics.checkpointSize(this.name, bytes)
    metrics.stateKeys(this.name, 'dedup', this.states.size)
    const windows = this.pipeline?.windows()
    if (windows) {
      for (const [gold, n] of windows.openWindows) metrics.openWindows(this.name, gold, n)
      for (const w of windows.watermarks) metrics.watermarkLag(this.name, w.partition, w.lagMs / 1000)
    }
  }

  /** After a rebalance: forget partitions this member no longer owns (their new owner reloads them). */
  private onAssigned(partitions: readonly { topic: string; partition: number }[]): void {
    this.rebalancing = false
    const owned = new Set(partitions.map((p) => partitionKey(p.topic, p.partition)))
    this.owned = owned
    for (const o of [...this.pending.values()]) {
      if (!owned.has(partitionKey(o.topic, o.partition)))
        this.pending.delete(partitionKey(o.topic, o.partition))
    }
    for (const key of [...this.backlog.keys()]) if (!owned.has(key)) this.backlog.delete(key)
    this.deferredState = this.deferredState.filter((c) =>
      owned.has(partitionKey(c.ref.topic, c.ref.partition)),
    )
    this.pipeline?.retainOnly(owned)
  }

  /** Rows in some sink that no record of this epoch put there: gold windows an idle tick closed. */
  private get derivedPending(): boolean {
    return this.inFlight === 0 && this.sinks.some((s) => s.pending > 0)
  }

  private epochDue(): boolean {
    const { config } = this.deps
    if (this.derivedPending) return true
    if (this.inFlight === 0) return false
    if (this.inFlight >= config.source.maxInFlightRecords) return true
    const sinceLast = Date.now() - this.lastEpoch
    if (sinceLast >= config.sink.flushIntervalMs) return true
    if (sinceLast >= config.sink.minFlushIntervalMs && this.caughtUp()) return true
    return this.sinks.some((s) => s.pending >= config.sink.maxBatchRows)
  }

  /** No backlog behind any partition with records in this epoch: waiting would batch nothing more. */
  private caughtUp(): boolean {
    for (const key of this.consumedInEpoch.keys()) if ((this.backlog.get(key) ?? 1) > 0) return false
    return true
  }

  private onTimer(): void {
    if (this.serial.busy || this.stopping || this.failure !== undefined) return
    this.serial
      .run(async () => {
        this.pipeline?.tick()
        if (this.epochDue()) await this.epoch()
      })
      .catch((err) => this.fail(err))
  }

  /**
   * Starts an epoch. What it covers (sink contents, offsets, state changes) is fixed here,
   * synchronously; its writes (flush, then state, then offsets) land in the background while the
   * next records are processed, so ClickHouse and this process work at the same time. Only one
   * epoch lands at a time: the next waits for it, which keeps epochs in order and bounds what is
   * held to two epochs' records.
   */
  private async epoch(): Promise<void> {
    await this.landing
    if (this.inFlight === 0 && !this.derivedPending) return
    const { events, metrics } = this.deps
    this.pipeline!.checkpoint()
    const started = Date.now()
    const offsets = [...this.pending.values()]
    const consumed = new Map(this.consumedInEpoch)
    const state = this.takeState(offsets)
    this.consumedInEpoch.clear()
    this.inFlight = 0
    this.lastEpoch = started
    metrics.inFlight(this.name, 0)
    const id = `${this.name}-${started}`
    events.emit(ENGINE_EVENTS.CHECKPOINT_START, { topology: this.name, checkpointId: id })
    // commitEpoch calls every sink's flush before its first await: the sinks' contents are taken now.
    const written = commitEpoch(
      {
        sinks: this.sinks,
        saveState: () => this.saveState(state),
        commitOffsets: (o) => this.commit(o),
      },
      offsets,
    )
    this.landing = this.land(written, { id, started, offsets, consumed })
    this.landing.catch((err) => this.fail(err))
  }

  private async land(
    written: Promise<EpochResult>,
    epoch: {
      id: string
      started: number
      offsets: readonly TopicPartitionOffset[]
      consumed: Map<string, number>
    },
  ): Promise<void> {
    const { events, metrics } = this.deps
    try {
      const result = await written
      for (const o of epoch.offsets) {
        if (this.pending.get(partitionKey(o.topic, o.partition))?.offset === o.offset)
          this.pending.delete(partitionKey(o.topic, o.partition))
      }
      metrics.lastCommit(this.name)
      await this.writeProcessingLog(result.flushed as TableFlushResult[], epoch.consumed, epoch.started)
      events.emit(ENGINE_EVENTS.CHECKPOINT_END, {
        topology: this.name,
        checkpointId: epoch.id,
        durationMs: Date.now() - epoch.started,
        bytes: 0,
      })
    } catch (err) {
      if (err instanceof CheckpointDeferred) {
        // The rows are durable and idempotent; state and offsets follow at the next epoch.
        this.log.info('checkpoint deferred: the group is rebalancing')
        return
      }
      await this.writeProcessingLogError(err, epoch.started, sum(epoch.consumed.values())).catch(() => {})
      throw err
    }
  }

  /**
   * A commit refused because the group is rebalancing is not fatal: the rows are durable, and the
   * partition's next owner re-reads from the last commit into idempotent tables.
   */
  private async commit(offsets: readonly TopicPartitionOffset[]): Promise<void> {
    // The broker checks the generation, not the assignment: an epoch that started before a
    // rebalance must not commit a partition given away since (its new owner commits it).
    const owned = this.owned
    const mine = owned ? offsets.filter((o) => owned.has(partitionKey(o.topic, o.partition))) : offsets
    if (mine.length === 0) return
    try {
      await this.consumer!.commitOffsets(mine.map((x) => ({ ...x })))
    } catch (err) {
      const type = (err as { type?: string }).type ?? ''
      if (
        !['REBALANCE_IN_PROGRESS', 'ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID', 'NOT_COORDINATOR'].includes(
          type,
        )
      )
        throw err
      this.log.warn(
        { err: type, offsets },
        'offset commit refused by a rebalance; the new owner resumes from the last commit',
      )
    }
  }

  private async writeProcessingLog(
    flushed: readonly TableFlushResult[],
    consumed: Map<string, number>,
    started: number,
  ): Promise<void> {
    const { metrics, events } = this.deps
    const finished = Date.now()
    const invalid = new Map<string, number>()
    for (const f of flushed) {
      if (this.tableLayers.get(f.table ?? '') !== 'quarantine') continue
      for (const p of f.partitions) invalid.set(partitionKey(p.topic, p.partition), p.count)
    }
    const lines: string[] = []
    for (const f of flushed) {
      const layer = f.table ? this.tableLayers.get(f.table) : undefined
      if (!layer) continue
      events.emit(ENGINE_EVENTS.SINK_FLUSH, {
        topology: this.name,
        table: f.table,
        layer,
        rows: f.rows,
        durationMs: f.durationMs,
      })
      if (f.oldestEventTime !== null) metrics.eventTimeLag(this.name, layer, f.oldestEventTime)
      for (const p of f.partitions) {
        const k = partitionKey(p.topic, p.partition)
        lines.push(
          JSON.stringify({
            topology: this.name,
            layer,
            table: f.table,
            status: 'ok',
            started_at: started,
            finished_at: finished,
            duration_ms: f.durationMs,
            records_in: consumed.get(k) ?? 0,
            records_out: p.count,
            records_invalid: invalid.get(k) ?? 0,
            topic: p.topic,
            partition: p.partition,
            offset_from: p.from,
            offset_to: p.to,
            error: '',
          }),
        )
      }
    }
    if (lines.length > 0)
      await this.inserter!.insertRaw('tributary_processing_log', lines.join('\n'), lines.length)
  }

  private async writeProcessingLogError(err: unknown, started: number, records: number): Promise<void> {
    const row = {
      topology: this.name,
      layer: 'all',
      table: '',
      status: 'error',
      started_at: started,
      finished_at: Date.now(),
      duration_ms: Date.now() - started,
      records_in: records,
      records_out: 0,
      records_invalid: 0,
      topic: '',
      partition: -1,
      offset_from: -1,
      offset_to: -1,
      error: String((err as Error)?.message ?? err).slice(0, 2000),
    }
    await this.deps.clickhouse.insert('tributary_processing_log', [row])
  }

  private fail(err: unknown): void {
    if (this.failure !== undefined) return
    this.failure = err
    this.log.error({ err }, 'topology failed; stopping without committing what is not durable')
    void this.shutdown().finally(() => this.rejectDone(err))
  }

  /** Stop fetching, drain what was read, flush, commit, disconnect. */
  async stop(): Promise<void> {
    if (this.stopping) return this.done
    this.stopping = true
    this.log.info('stopping: draining, flushing and committing')
    if (this.consumer)
      this.consumer.pause(this.deps.topology.definition.source.topics.map((topic) => ({ topic })))
    try {
      await this.serial.run(async () => {
        await this.epoch()
        await this.landing
      })
      this.reporter?.report()
    } catch (err) {
      this.failure ??= err
    }
    await this.shutdown()
    if (this.failure === undefined) this.resolveDone()
    else this.rejectDone(this.failure)
    return this.done
  }

  private async shutdown(): Promise<void> {
    this.stopping = true
    clearInterval(this.timer)
    await this.consumer?.disconnect().catch(() => {})
    await this.producer?.disconnect().catch(() => {})
    await this.store?.close().catch(() => {})
    this.pipeline?.close()
  }
}

function sum(ns: Iterable<number>): number {
  let total = 0
  for (const n of ns) total += n
  return total
}
