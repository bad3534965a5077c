/**
 * Tributary's Prometheus instruments. Each `Metrics` owns its Registry rather than prom-client's
 * global one, so tests and several runtimes in one process never collide on metric names.
 *
 * The engine calls these once per batch with a count, never once per record: a prom-client update
 * hashes its labels, which is cheap per batch and measurable per record.
 */
import { Counter, collectDefaultMetrics, exponentialBuckets, Gauge, Histogram, Registry } from 'prom-client'
import { CIRCUIT_STATE_VALUE, type CircuitState, type Layer, type RecordOutcome } from './labels.ts'

// Batches and ClickHouse inserts sit between milliseconds and tens of seconds; anything slower is an
// outage, and the +Inf bucket is enough to see it.
const BATCH_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]
const SINK_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]
// Event-time lag spans live streams (sub-second) to backfills and replays (hours, a day).
const EVENT_LAG_BUCKETS = [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 21600, 86400]
const CHECKPOINT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]
// 1 KiB .. 256 MiB, x4 per bucket: state from a handful of keys to a large keyed store.
const CHECKPOINT_SIZE_BUCKETS = exponentialBuckets(1024, 4, 10)
const RESTORE_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300]

export interface MetricsOptions {
  /** Node process metrics (CPU, heap, event loop lag, GC). Default true. */
  defaultMetrics?: boolean
  /** Labels stamped on every series, e.g. `{ instance: 'tributary-1' }`. */
  defaultLabels?: Record<string, string>
}

export class Metrics {
  readonly registry: Registry

  readonly #records: Counter<'topology' | 'operator' | 'layer' | 'outcome'>
  readonly #deadLetters: Counter<'topology' | 'stage' | 'reason_code'>
  readonly #retries: Counter<'topology' | 'target'>
  readonly #qualityScore: Gauge<'topology'>
  readonly #ruleFailures: Counter<'topology' | 'rule'>
  readonly #batchDuration: Histogram<'topology' | 'stage'>
  readonly #sinkLatency: Histogram<'topology' | 'table'>
  readonly #eventTimeLag: Histogram<'topology' | 'layer'>
  readonly #consumerLag: Gauge<'topology' | 'topic' | 'partition'>
  readonly #inFlight: Gauge<'topology'>
  readonly #circuitState: Gauge<'topology' | 'target'>
  readonly #lastCommit: Gauge<'topology'>
  readonly #stateKeys: Gauge<'topology' | 'store'>
  readonly #stateCapacity: Gauge<'topology' | 'store'>
  readonly #stateEvicted: Counter<'topology' | 'store'>
  readonly #openWindows: Gauge<'topology' | 'window'>
  readonly #watermarkLag: Gauge<'topology' | 'partition'>
  readonly #checkpointDuration: Histogram<'topology'>
  readonly #checkpointSize: Histogram<'topology'>
  readonly #restoreDuration: Histogram<'topology'>
  readonly #topologyUp: Gauge<'topology'>
  readonly #topologyRestarts: Counter<'topology'>
  // The quality gauge is a ratio over the whole run, so the totals behind it live here, per topology.
  readonly #quality = new Map<string, { valid: number; total: number }>()

  constructor(options: MetricsOptions = {}) {
    const registry = new Registry()
    this.registry = registry
    if (options.defaultLabels !== undefined) registry.setDefaultLabels(options.defaultLabels)
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry })
    const registers = [registry]

    this.#records = new Counter({
      name: 'tributary_records_total',
      help: 'Records seen by an operator, by outcome (in, out, invalid, dead_lettered, duplicate, late, tombstone).',
      labelNames: ['topology', 'operator', 'layer', 'outcome'],
      registers,
    })
    this.#deadLetters = new Counter({
      name: 'tributary_dead_letters_total',
      help: 'Records routed to the dead-letter path, by stage and reason code.',
      labelNames: ['topology', 'stage', 'reason_code'],
      registers,
    })
    this.#retries = new Counter({
      name: 'tributary_retries_total',
      help: 'Retried calls to an external target (ClickHouse, Kafka, schema registry, Redis).',
      labelNames: ['topology', 'target'],
      registers,
    })
    this.#qualityScore = new Gauge({
      name: 'tributary_quality_score',
      help: 'Valid records over all records validated since start, 0..1.',
      labelNames: ['topology'],
      registers,
    })
    this.#ruleFailures = new Counter({
      name: 'tributary_rule_failures_total',
      help: 'Records that failed a named quality rule.',
      labelNames: ['topology', 'rule'],
      registers,
    })
    this.#batchDuration = new Histogram({
      name: 'tributary_batch_duration_seconds',
      help: 'Time to process one batch through a stage.',
      labelNames: ['topology', 'stage'],
      buckets: BATCH_BUCKETS,
      registers,
    })
    this.#sinkLatency = new Histogram({
      name: 'tributary_sink_latency_seconds',
      help: 'Time for one insert into a ClickHouse table, retries included.',
      labelNames: ['topology', 'table'],
      buckets: SINK_BUCKETS,
      registers,
    })
    this.#eventTimeLag = new Histogram({
      name: 'tributary_event_time_lag_seconds',
      help: 'Wall clock minus record event time at sink flush.',
      labelNames: ['topology', 'layer'],
      buckets: EVENT_LAG_BUCKETS,
      registers,
    })
    this.#consumerLag = new Gauge({
      name: 'tributary_consumer_lag',
      help: 'High watermark minus committed offset, in records.',
      labelNames: ['topology', 'topic', 'partition'],
      registers,
    })
    this.#inFlight = new Gauge({
      name: 'tributary_in_flight_records',
      help: 'Records consumed since the last checkpoint started (one more checkpoint may be landing).',
      labelNames: ['topology'],
      registers,
    })
    this.#circuitState = new Gauge({
      name: 'tributary_circuit_state',
      help: 'Circuit breaker state per target: 0 closed, 1 half-open, 2 open.',
      labelNames: ['topology', 'target'],
      registers,
    })
    this.#lastCommit = new Gauge({
      name: 'tributary_last_commit_timestamp_seconds',
      help: 'Unix time of the last Kafka offset commit.',
      labelNames: ['topology'],
      registers,
    })
    this.#stateKeys = new Gauge({
      name: 'tributary_state_keys',
      help: 'Keys held in a state store.',
      labelNames: ['topology', 'store'],
      registers,
    })
    this.#stateCapacity = new Gauge({
      name: 'tributary_state_capacity_keys',
      help: 'Keys a state store holds in memory at most (dedup.maxKeysInMemory).',
      labelNames: ['topology', 'store'],
      registers,
    })
    this.#stateEvicted = new Counter({
      name: 'tributary_state_evicted_keys_total',
      help: 'Live keys dropped from memory to stay within the capacity; duplicates of them pass.',
      labelNames: ['topology', 'store'],
      registers,
    })
    this.#openWindows = new Gauge({
      name: 'tributary_open_windows',
      help: 'Windows opened and not yet emitted.',
      labelNames: ['topology', 'window'],
      registers,
    })
    this.#watermarkLag = new Gauge({
      name: 'tributary_watermark_lag_seconds',
      help: 'Wall clock minus the event-time watermark of a partition.',
      labelNames: ['topology', 'partition'],
      registers,
    })
    this.#checkpointDuration = new Histogram({
      name: 'tributary_checkpoint_duration_seconds',
      help: 'Time to write one state checkpoint.',
      labelNames: ['topology'],
      buckets: CHECKPOINT_BUCKETS,
      registers,
    })
    this.#checkpointSize = new Histogram({
      name: 'tributary_checkpoint_size_bytes',
      help: 'Size of one state checkpoint.',
      labelNames: ['topology'],
      buckets: CHECKPOINT_SIZE_BUCKETS,
      registers,
    })
    this.#restoreDuration = new Histogram({
      name: 'tributary_restore_duration_seconds',
      help: 'Time to restore state from a checkpoint at start-up or after a rebalance.',
      labelNames: ['topology'],
      buckets: RESTORE_BUCKETS,
      registers,
    })
    this.#topologyUp = new Gauge({
      name: 'tributary_topology_up',
      help: '1 while a topology runs, 0 while it waits to be restarted after a failure.',
      labelNames: ['topology'],
      registers,
    })
    this.#topologyRestarts = new Counter({
      name: 'tributary_topology_restarts_total',
      help: 'Times a failed topology was restarted (the engine and its other topologies kept running).',
      labelNames: ['topology'],
      registers,
    })
  }

  /** Prometheus text exposition of every series in this registry. */
  async text(): Promise<string> {
    return this.registry.metrics()
  }

  get contentType(): string {
    return this.registry.contentType
  }

  records(topology: string, operator: string, layer: Layer, outcome: RecordOutcome, n: number): void {
    this.#records.inc({ topology, operator, layer, outcome }, n)
  }

  deadLetters(topology: string, stage: string, reasonCode: string, n: number): void {
    this.#deadLetters.inc({ topology, stage, reason_code: reasonCode }, n)
  }

  retries(topology: string, target: string, n = 1): void {
    this.#retries.inc({ topology, target }, n)
  }

  /** Adds one batch's validation result to the run totals and republishes the ratio. */
  quality(topology: string, valid: number, total: number): void {
    let q = this.#quality.get(topology)
    if (q === undefined) {
      q = { valid: 0, total: 0 }
      this.#quality.set(topology, q)
    }
    q.valid += valid
    q.total += total
    // Before any record is validated there is no evidence of bad data: report 1, not NaN.
    this.#qualityScore.set({ topology }, q.total === 0 ? 1 : q.valid / q.total)
  }

  ruleFailures(topology: string, rule: string, n: number): void {
    this.#ruleFailures.inc({ topology, rule }, n)
  }

  batchDuration(topology: string, stage: string, seconds: number): void {
    this.#batchDuration.observe({ topology, stage }, seconds)
  }

  sinkLatency(topology: string, table: string, seconds: number): void {
    this.#sinkLatency.observe({ topology, table }, seconds)
  }

  /**
   * One observation per flush, for the batch's oldest event time. Clamped at zero: producer clocks
   * ahead of ours would otherwise land below every bucket and hide in the sum.
   */
  eventTimeLag(topology: string, layer: Layer, eventTimeMs: number, nowMs: number = Date.now()): void {
    this.#eventTimeLag.observe({ topology, layer }, Math.max(0, (nowMs - eventTimeMs) / 1000))
  }

  consumerLag(topology: string, topic: string, partition: number, lag: number): void {
    this.#consumerLag.set({ topology, topic, partition: String(partition) }, lag)
  }

  /**
   * Drops the per-partition series after a revoke: another instance now owns the partition, and a
   * frozen lag here would double-count it in any sum across instances.
   */
  forgetPartition(topology: string, topic: string, partition: number): void {
    this.#consumerLag.remove({ topology, topic, partition: String(partition) })
    this.#watermarkLag.remove({ topology, partition: String(partition) })
  }

  inFlight(topology: string, n: number): void {
    this.#inFlight.set({ topology }, n)
  }

  circuitState(topology: string, target: string, state: CircuitState): void {
    this.#circuitState.set({ topology, target }, CIRCUIT_STATE_VALUE[state])
  }

  lastCommit(topology: string, atMs: number = Date.now()): void {
    this.#lastCommit.set({ topology }, atMs / 1000)
  }

  stateKeys(topology: string, store: string, n: number): void {
    this.#stateKeys.set({ topology, store }, n)
  }

  stateCapacity(topology: string, store: string, n: number): void {
    this.#stateCapacity.set({ topology, store }, n)
  }

  stateEvicted(topology: string, store: string, n: number): void {
    this.#stateEvicted.inc({ topology, store }, n)
  }

  openWindows(topology: string, window: string, n: number): void {
    this.#openWindows.set({ topology, window }, n)
  }

  watermarkLag(topology: string, partition: number, seconds: number): void {
    this.#watermarkLag.set({ topology, partition: String(partition) }, seconds)
  }

  checkpointDuration(topology: string, seconds: number): void {
    this.#checkpointDuration.observe({ topology }, seconds)
  }

  checkpointSize(topology: string, bytes: number): void {
    this.#checkpointSize.observe({ topology }, bytes)
  }

  restoreDuration(topology: string, seconds: number): void {
    this.#restoreDuration.observe({ topology }, seconds)
  }

  topologyUp(topology: string, up: boolean): void {
    this.#topologyUp.set({ topology }, up ? 1 : 0)
  }

  topologyRestarted(topology: string): void {
    this.#topologyRestarts.inc({ topology })
  }
}
