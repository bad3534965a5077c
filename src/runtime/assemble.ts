import type { Kafka } from 'kafkajs'
import type { Logger } from 'pino'
import { EpochLedger } from '../checkpoint/epoch-ledger.ts'
import { Epochs, type LandedEpoch } from '../checkpoint/epochs.ts'
import type { PartitionProgress } from '../checkpoint/progress.ts'
import { StateCheckpoint } from '../checkpoint/state-checkpoint.ts'
import type { ClickHouse } from '../clickhouse/client.ts'
import type { Features } from '../clickhouse/features.ts'
import type { TributaryConfig } from '../config/config.ts'
import { ENGINE_EVENTS, type EngineEvents } from '../observability/events.ts'
import { buildPipeline, type Pipeline } from '../pipeline/pipeline.ts'
import type { TopicPartitionOffset } from '../records/partition.ts'
import { bindSource } from '../serde/bind.ts'
import type { ValueSerde } from '../serde/format.ts'
import type { SchemaRegistry } from '../serde/registry.ts'
import { columnCheck } from '../sinks/clickhouse/capacity.ts'
import type { Sink } from '../sinks/sink.ts'
import type { TableFlushResult } from '../sinks/table-sink.ts'
import type { CommitOutcome, Source } from '../sources/source.ts'
import type { PartitionStates } from '../state/partition-states.ts'
import { createRedisStore } from '../state/redis-store.ts'
import type { StateStore } from '../state/state-store.ts'
import type { AnyTopology } from '../topology/define.ts'
import { DEPENDENCIES, reach } from './dependency.ts'
import { ProcessingLog } from './processing-log.ts'
import { StatsReporter } from './stats-reporter.ts'
import { type DeadLetters, deadLetters, ensureTables, topologyInserter, topologySinks } from './wiring.ts'

/** What a topology runs with: its declaration, the configuration and the shared clients. */
export interface RunnerDeps {
  readonly topology: AnyTopology
  readonly config: TributaryConfig
  readonly kafka: Kafka
  readonly registry: SchemaRegistry
  readonly clickhouse: ClickHouse
  readonly events: EngineEvents
  readonly logger: Logger
  /** Defaults to Redis at `redis.url` when a topology is stateful; a given store is not closed. */
  readonly stateStore?: StateStore
  /** Defaults to a Kafka consumer group `tributary-<name>` over the topology's topics. */
  readonly source?: Source
}

/** What a runner gives the assembly: its identity, its in-memory state, and how it waits and fails. */
export interface AssemblyHooks {
  readonly groupId: string
  readonly log: Logger
  readonly states: PartitionStates
  readonly progress: PartitionProgress
  /** Between attempts while a dependency is unreachable (may throw to give up). */
  readonly waiting: (
    dependency: 'clickhouse' | 'redis' | 'kafka',
    what: string,
  ) => (error?: unknown) => Promise<void>
  readonly rebalancing: () => boolean
  readonly commit: (offsets: readonly TopicPartitionOffset[]) => Promise<CommitOutcome>
  readonly fail: (err: unknown) => void
}

/** One topology, assembled: its tables exist, its sinks, state, pipeline and epochs are wired. */
export interface Assembly {
  readonly pipeline: Pipeline
  readonly serde: ValueSerde<unknown>
  readonly epochs: Epochs
  readonly state: StateCheckpoint
  readonly ledger: EpochLedger
  readonly sinks: readonly Sink<never>[]
  readonly reporter: StatsReporter
  readonly dlq: DeadLetters
  /** A store the runner made (not one it was given), closed when it stops. */
  readonly ownStore: StateStore | undefined
}

/**
 * Creates or evolves the tables, then wires inserter, dead letters, sinks, state, pipeline and
 * epochs, in the order the checkpoint argument needs them.
 */
export async function assemble(
  deps: RunnerDeps,
  features: Features,
  hooks: AssemblyHooks,
): Promise<Assembly> {
  const { topology, config, kafka, clickhouse, events } = deps
  const def = topology.definition
  const name = topology.name
  const layers = await ensureTables(topology, clickhouse, features, config, hooks.log)
  const { waiting } = hooks
  const onWait = waiting('clickhouse', 'inserts')
  const inserter = topologyInserter({ topology: name, clickhouse, config, events, onWait })
  const brokers = config.kafka.brokers.join(',')
  const dlq = await reach(DEPENDENCIES.kafka, brokers, 'creating the dead-letter topic', () =>
    deadLetters(kafka, topology, hooks.groupId),
  )
  const ledger = new EpochLedger()
  const sinks = topologySinks({
    topology,
    features,
    inserter,
    deadLetters: dlq,
    config,
    events,
    ingestTime: (t, p) => ledger.ingestTime(t, p),
    onWait: waiting('kafka', 'the dead-letter topic'),
  })
  // Every topology checkpoints (offsets and epoch intents), stateful or not.
  const ownStore = deps.stateStore
    ? undefined
    : createRedisStore(config.redis.url, { password: config.redis.password, cluster: config.redis.cluster })
  const redisWait = waiting('redis', 'a checkpoint')
  const state = new StateCheckpoint({
    topology: name,
    store: deps.stateStore ?? ownStore!,
    states: hooks.states,
    ledger,
    // Redis retries keep the group membership alive: an outage must not cost the partitions.
    onWait: async (r) => {
      events.emit(ENGINE_EVENTS.SINK_RETRY, { topology: name, target: 'redis', ...r })
      await redisWait(r.error)
    },
  })
  const serde = bindSource(def.source, deps.registry)
  const pipeline = buildPipeline(
    topology,
    serde,
    sinks.pipeline,
    { partitions: hooks.states, clock: Date.now },
    { columns: columnCheck(def.source.format.schema, features) },
  )
  const log = new ProcessingLog({ topology: name, layers, inserter, clickhouse })
  const epochs = new Epochs({
    name: name,
    sinks: sinks.all,
    progress: hooks.progress,
    state,
    ledger,
    policy: { ...config.sink, maxInFlightRecords: config.source.maxInFlightRecords },
    prepare: () => pipeline.checkpoint(),
    rebalancing: hooks.rebalancing,
    commit: hooks.commit,
    onStart: (checkpointId) => events.emit(ENGINE_EVENTS.CHECKPOINT_START, { topology: name, checkpointId }),
    onLanded: (epoch) => landed(deps, epoch, log, pipeline, state),
    onFailed: async (err, epoch) => {
      hooks.fail(err)
      let records = 0
      for (const n of epoch.consumed.values()) records += n
      await log.failed(err, epoch.started, records)
    },
  })
  return {
    pipeline,
    serde,
    epochs,
    state,
    ledger,
    sinks: sinks.all,
    reporter: new StatsReporter(name, pipeline.stats, events),
    dlq,
    ownStore,
  }
}

/** An epoch landed: its flushes and checkpoint as events, and the processing log. */
async function landed(
  deps: RunnerDeps,
  epoch: LandedEpoch,
  log: ProcessingLog,
  pipeline: Pipeline,
  state: StateCheckpoint,
): Promise<void> {
  const { result } = epoch
  if (result.state.outcome === 'deferred') deps.logger.info('checkpoint deferred: the group is rebalancing')
  const flushed = result.flushed as TableFlushResult[]
  for (const { flush, layer } of log.tables(flushed))
    deps.events.emit(ENGINE_EVENTS.SINK_FLUSH, {
      topology: deps.topology.name,
      table: flush.table,
      layer,
      rows: flush.rows,
      durationMs: flush.durationMs,
      oldestEventTime: flush.oldestEventTime,
    })
  await log.landed(flushed, epoch.consumed, epoch.started)
  const windows = pipeline.windows()
  const dedup = deps.topology.definition.dedup ? state.dedup() : undefined
  const evicted = state.newEvictions()
  if (dedup && evicted > 0)
    deps.events.emit(ENGINE_EVENTS.DEDUP_EVICTED, {
      topology: deps.topology.name,
      evicted,
      total: dedup.evicted,
      maxKeys: dedup.maxKeys,
    })
  deps.events.emit(ENGINE_EVENTS.CHECKPOINT_END, {
    topology: deps.topology.name,
    checkpointId: epoch.id,
    durationMs: Date.now() - epoch.started,
    bytes: result.state.outcome === 'saved' ? result.state.bytes : 0,
    committed: result.committed.length > 0,
    stateKeys: dedup ? dedup.keys : null,
    stateMaxKeys: dedup ? dedup.maxKeys : null,
    openWindows: windows ? [...windows.openWindows] : [],
    watermarks: windows ? windows.watermarks.map((w) => ({ partition: w.partition, lagMs: w.lagMs })) : [],
  })
}
