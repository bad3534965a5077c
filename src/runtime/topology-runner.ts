import { setImmediate } from 'node:timers/promises'
import type { Logger } from 'pino'
import { PartitionProgress } from '../checkpoint/progress.ts'
import { ENGINE_EVENTS } from '../observability/events.ts'
import { partitionKey, type TopicPartition } from '../records/partition.ts'
import type { KafkaRecord } from '../records/record.ts'
import { retry } from '../resilience/retry.ts'
import { KafkaSource } from '../sources/kafka/kafka-source.ts'
import type { Source, SourceBatch } from '../sources/source.ts'
import { PartitionStates } from '../state/partition-states.ts'
import { decodes } from '../topology/define.ts'
import { type Assembly, assemble, type RunnerDeps } from './assemble.ts'
import type { Progress } from './caught-up.ts'
import { DEPENDENCIES, reach, StopRequested, throttledWaitLog, waitOn } from './dependency.ts'
import { Serial } from './serial.ts'
import { ensureSourceTopics } from './source-topics.ts'

/**
 * Records per synchronous push through the pipeline. A fetched batch can hold ~40k records (half a
 * second of work); the landing epoch's insert bodies, Redis writes and heartbeats only move while
 * the event loop turns, so the batch goes through in slices with a turn between them.
 */
const PUSH_SLICE = 2_048

/** After stop(), the last checkpoint's writes get this long to land before they stop waiting. */
const STOP_GRACE_MS = 10_000

/** What exists once the runner started. */
interface Running extends Assembly {
  readonly timer: NodeJS.Timeout
}

/**
 * One topology's lifecycle: wire its tables and sinks, read batches from its source through the
 * synchronous pipeline, and let epochs (checkpoint/) make them durable; stop by draining.
 */
export type { RunnerDeps }

export class TopologyRunner {
  readonly name: string
  private readonly deps: RunnerDeps
  private readonly log: Logger
  private readonly serial = new Serial()
  private readonly read = new PartitionProgress()
  private readonly states: PartitionStates
  private source?: Source
  private running?: Running
  private heartbeat?: () => Promise<void>
  /** Set when the group starts rebalancing, cleared by the assignment that follows. */
  private rebalancing = false
  /** Per partition, the offset after the last record read (processed, or skipped as durable already). */
  private readonly positions = new Map<string, bigint>()
  /** Aborted by stop(): waits before any processing (registry, state load) give up at once. */
  private readonly stopRequested = new AbortController()
  /** Aborted STOP_GRACE_MS after stop(): the last checkpoint's writes stop waiting too. */
  private readonly stopDeadline = new AbortController()
  private stopping = false
  private failure: unknown
  private resolveDone!: () => void
  private rejectDone!: (err: unknown) => void
  /** Settles when the runner has stopped: resolved after a clean stop, rejected on a fatal error. */
  readonly done: Promise<void>

  constructor(deps: RunnerDeps) {
    this.deps = deps
    this.name = deps.topology.name
    this.log = deps.logger.child({ topology: this.name })
    this.states = new PartitionStates({ maxDedupKeys: deps.config.dedup.maxKeysInMemory })
    this.done = new Promise((resolve, reject) => {
      this.resolveDone = resolve
      this.rejectDone = reject
    })
    this.done.catch(() => {})
  }

  get ready(): boolean {
    return this.running !== undefined && !this.stopping && this.failure === undefined
  }

  get groupId(): string {
    return `tributary-${this.name}`
  }

  async start(): Promise<void> {
    const { topology, config, kafka, clickhouse } = this.deps
    const def = topology.definition
    const features = await reach(
      DEPENDENCIES.clickhouse,
      config.clickhouse.url,
      'start-up (SELECT version())',
      () => clickhouse.features(),
    )
    // Between attempts while a dependency is unreachable: give up if the topology failed or the stop
    // grace is over, report the wait at a bounded rate, and keep the group membership alive.
    const waitLog = {
      clickhouse: throttledWaitLog(this.log, DEPENDENCIES.clickhouse),
      redis: throttledWaitLog(this.log, DEPENDENCIES.redis),
      kafka: throttledWaitLog(this.log, DEPENDENCIES.kafka),
    }
    const assembled = await assemble(this.deps, features, {
      groupId: this.groupId,
      log: this.log,
      states: this.states,
      progress: this.read,
      waiting: (dependency, what) => async (error) => {
        if (this.failure !== undefined) throw this.failure
        this.stopDeadline.signal.throwIfAborted()
        if (error !== undefined) waitLog[dependency](what, error)
        await this.heartbeat?.().catch(() => {})
      },
      rebalancing: () => this.rebalancing,
      commit: (offsets) => this.source!.commit(offsets),
      fail: (err) => this.fail(err),
    })
    const { flushIntervalMs, minFlushIntervalMs } = config.sink
    const tick = Math.max(20, Math.floor(Math.min(flushIntervalMs / 4, minFlushIntervalMs / 2)))
    this.running = { ...assembled, timer: setInterval(() => this.onTimer(), tick) }
    if (!this.deps.source)
      await ensureSourceTopics(kafka, def.source.topics, config.source.missingTopics, {
        log: this.log,
        signal: this.stopRequested.signal,
      })
    this.source =
      this.deps.source ??
      new KafkaSource({
        kafka,
        groupId: this.groupId,
        topics: def.source.topics,
        settings: config.source,
        log: this.log,
      })
    const source = this.source
    await reach(DEPENDENCIES.kafka, config.kafka.brokers.join(','), 'joining the consumer group', () =>
      source.start({
        // Stopped while waiting on a dependency: nothing of the batch was processed or taken. Any
        // other failure fails the runner: kafkajs would retry the batch on a pipeline that died.
        onBatch: (batch) =>
          this.serial
            .run(() => this.onBatch(batch))
            .catch((err: unknown) => {
              this.fail(err)
              return false
            }),
        onRebalancing: () => {
          this.rebalancing = true
        },
        onAssigned: (partitions) =>
          void this.serial.run(async () => this.onAssigned(partitions)).catch((err) => this.fail(err)),
        onCrash: (err) => this.fail(err),
      }),
    )
    this.log.info(
      { topics: def.source.topics, group: this.groupId, tables: topology.tables },
      'topology running',
    )
  }

  private async onBatch(batch: SourceBatch): Promise<boolean> {
    const run = this.running!
    if (this.stopping || this.failure !== undefined || !batch.isActive()) return false
    this.heartbeat = () => batch.heartbeat()
    const started = Date.now()
    const { topic, partition } = batch
    const key = partitionKey(topic, partition)
    // Read before, by this member, and still held: after a rebalance that left it the partition,
    // the consumer fetches again from the committed offset, but the records since are already in
    // the sinks, the state and the epochs (retainOnly kept them). Processing them again would put
    // them twice in one block, which no insert token can tell apart, and count them twice in gold.
    const readBefore = this.positions.get(key)
    const lastRead = batch.records[batch.records.length - 1]
    if (lastRead && (readBefore === undefined || BigInt(lastRead.offset) + 1n > readBefore))
      this.positions.set(key, BigInt(lastRead.offset) + 1n)
    const resume = await waitOn(
      DEPENDENCIES.redis,
      `loading the state of ${topic}/${partition}`,
      () => run.state.resume(topic, partition),
      { log: this.log, signal: this.stopRequested.signal },
    )
    if (resume.restored)
      this.deps.events.emit(ENGINE_EVENTS.CHECKPOINT_RESTORE, { topology: this.name, ...resume.restored })
    // Records below the checkpointed offset are durable already (state was saved, the Kafka commit
    // was not): skip them, or dedup would count them as duplicates of themselves. Skip too what this
    // member read before and still holds (above): it is on its way to being durable.
    const at = resume.at
    const from = at === null ? readBefore : readBefore === undefined || at > readBefore ? at : readBefore
    // Offsets rise within a batch: only a batch that starts below that needs filtering.
    const records =
      from === undefined || BigInt(batch.records[0]!.offset) >= from
        ? batch.records
        : batch.records.filter((r) => BigInt(r.offset) >= from)
    if (records.length === 0) {
      if (at !== null) this.read.durable(batch, String(at))
      return true
    }
    const { events } = this.deps
    events.emit(ENGINE_EVENTS.CONSUMER_BATCH_START, {
      topology: this.name,
      topic,
      partition,
      records: records.length,
      firstOffset: records[0]!.offset,
    })
    // Writer schemas come from the registry; while it is down, wait rather than dead-letter.
    if (decodes(this.deps.topology))
      await waitOn(
        DEPENDENCIES.registry,
        `writer schemas for ${topic}/${partition}`,
        (note) =>
          retry(
            () =>
              run.serde.prepare(
                records.map((r) => r.value),
                topic,
              ),
            {
              retries: Number.POSITIVE_INFINITY,
              baseMs: 200,
              maxMs: 5_000,
              signal: this.stopRequested.signal,
              onRetry: async (r) => {
                note(r.error)
                events.emit(ENGINE_EVENTS.SINK_RETRY, { topology: this.name, target: 'registry', ...r })
                await batch.heartbeat().catch(() => {})
              },
            },
          ),
        { log: this.log, signal: this.stopRequested.signal },
      )
    // A partition re-forming an epoch it recorded before a crash: that epoch ends exactly where
    // the record says, so its blocks are the same, whatever the batches look like now.
    const cut = run.ledger.replayCut(
      topic,
      partition,
      records.map((r) => r.offset),
    )
    if (cut === null) await this.push(batch, records, started)
    else {
      await this.push(batch, records.slice(0, cut), started)
      await run.epochs.start()
      await this.push(batch, records.slice(cut), started)
    }
    run.reporter.report()
    if (run.epochs.due()) await run.epochs.start()
    return true
  }

  /** Records of one partition through the pipeline, in slices, then counted as read. */
  private async push(batch: SourceBatch, records: readonly KafkaRecord[], started: number): Promise<void> {
    if (records.length === 0) return
    const run = this.running!
    const { topic, partition } = batch
    for (let i = 0; i < records.length; i += PUSH_SLICE) {
      if (i > 0) await setImmediate()
      run.pipeline.push(records.slice(i, i + PUSH_SLICE))
    }
    const first = records[0]!
    const last = records[records.length - 1]!
    const lag = this.read.processed(batch, first.offset, last.offset, records.length, batch.highWatermark)
    run.pipeline.backlog(topic, partition, lag)
    this.deps.events.emit(ENGINE_EVENTS.CONSUMER_BATCH_END, {
      topology: this.name,
      topic,
      partition,
      records: records.length,
      lastOffset: last.offset,
      durationMs: Date.now() - started,
      lag,
      inFlight: this.read.inFlight,
    })
  }

  /** After a rebalance: forget partitions this member no longer owns (their new owner reloads them). */
  private onAssigned(partitions: readonly TopicPartition[]): void {
    this.rebalancing = false
    const { events } = this.deps
    events.emit(ENGINE_EVENTS.REBALANCE_ASSIGNED, { topology: this.name, partitions: [...partitions] })
    const revoked = this.read.assigned(partitions)
    if (revoked.length > 0)
      events.emit(ENGINE_EVENTS.REBALANCE_REVOKED, { topology: this.name, partitions: revoked })
    const owned = new Set(partitions.map((p) => partitionKey(p.topic, p.partition)))
    this.running?.state.retainOnly(owned)
    this.running?.pipeline.retainOnly(owned)
    for (const sink of this.running?.sinks ?? []) sink.retainOnly(owned)
    for (const key of [...this.positions.keys()]) if (!owned.has(key)) this.positions.delete(key)
  }

  /** How far this runner got, for `run --until-idle`. */
  progress(): Progress {
    return {
      groupId: this.groupId,
      topics: this.deps.topology.definition.source.topics,
      assigned: this.read.ownedKeys,
      busy:
        this.serial.busy ||
        this.read.inFlight > 0 ||
        this.read.uncommitted ||
        (this.running?.sinks.some((s) => s.pending > 0) ?? false),
      positions: this.positions,
    }
  }

  private onTimer(): void {
    const run = this.running
    if (!run || this.serial.busy || this.stopping || this.failure !== undefined) return
    this.serial
      .run(async () => {
        run.pipeline.tick()
        if (run.epochs.due()) await run.epochs.start()
      })
      .catch((err) => this.fail(err))
  }

  private fail(err: unknown): void {
    if (this.failure !== undefined || err instanceof StopRequested) return
    this.failure = err
    this.log.error({ err }, 'topology failed; stopping without committing what is not durable')
    void this.shutdown().finally(() => this.rejectDone(err))
  }

  /** Stop fetching, drain what was read, flush, commit, disconnect. */
  async stop(): Promise<void> {
    if (this.stopping) return this.done
    this.stopping = true
    this.log.info('stopping: draining, flushing and committing')
    this.stopRequested.abort(new StopRequested('stop requested'))
    const deadline = setTimeout(
      () => this.stopDeadline.abort(new StopRequested(`stop grace of ${STOP_GRACE_MS} ms over`)),
      STOP_GRACE_MS,
    )
    this.source?.pause()
    try {
      const run = this.running
      if (run) await this.serial.run(() => run.epochs.drain())
      run?.reporter.report()
    } catch (err) {
      if (err instanceof StopRequested)
        this.log.warn(
          { reason: err.message },
          'stopped before the last checkpoint landed; its records are read again on restart',
        )
      else this.failure ??= err
    }
    clearTimeout(deadline)
    await this.shutdown()
    if (this.failure === undefined) this.resolveDone()
    else this.rejectDone(this.failure)
    return this.done
  }

  private async shutdown(): Promise<void> {
    this.stopping = true
    const run = this.running
    if (run) clearInterval(run.timer)
    await this.source?.stop().catch(() => {})
    await run?.dlq.transport.close().catch(() => {})
    await run?.dlq.refused.close().catch(() => {})
    await run?.ownStore?.close().catch(() => {})
    run?.pipeline.close()
  }
}
