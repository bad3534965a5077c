/**
 * The engine's instrumentation events: the runtime emits them, metrics and logs subscribe. A fixed,
 * namespaced list (as kafkajs does for its instrumentation) so a typo is a type error, not a silent
 * listener that never fires.
 */
import type { TopicPartition } from '../records/partition.ts'
import type { CircuitState, Layer } from './labels.ts'

export const ENGINE_EVENTS = {
  CONSUMER_BATCH_START: 'consumer.batch.start',
  CONSUMER_BATCH_END: 'consumer.batch.end',
  SINK_FLUSH: 'sink.flush',
  SINK_RETRY: 'sink.retry',
  CIRCUIT_STATE: 'circuit.state',
  CHECKPOINT_START: 'checkpoint.start',
  CHECKPOINT_END: 'checkpoint.end',
  CHECKPOINT_RESTORE: 'checkpoint.restore',
  REBALANCE_ASSIGNED: 'rebalance.assigned',
  REBALANCE_REVOKED: 'rebalance.revoked',
  RECORD_DEAD_LETTERED: 'record.dead_lettered',
  RECORDS_COUNTED: 'records.counted',
  TOPOLOGY_STATE: 'topology.state',
  DEDUP_EVICTED: 'dedup.evicted',
} as const

export type EngineEventName = (typeof ENGINE_EVENTS)[keyof typeof ENGINE_EVENTS]

/** Payload per event. Offsets are strings because Kafka offsets are int64. */
export interface EngineEventPayloads {
  'consumer.batch.start': {
    topology: string
    topic: string
    partition: number
    records: number
    firstOffset: string
  }
  'consumer.batch.end': {
    topology: string
    topic: string
    partition: number
    records: number
    lastOffset: string
    durationMs: number
    /** Records behind the partition's high watermark after this batch. */
    lag: number
    /** Records processed since the last epoch started. */
    inFlight: number
  }
  'sink.flush': {
    topology: string
    table: string
    layer: Layer
    rows: number
    durationMs: number
    /** The oldest event time among the rows (epoch ms), null when unknown. */
    oldestEventTime: number | null
  }
  'sink.retry': { topology: string; target: string; attempt: number; delayMs: number; error: unknown }
  'circuit.state': { topology: string; target: string; state: CircuitState; previous: CircuitState }
  'checkpoint.start': { topology: string; checkpointId: string }
  'checkpoint.end': {
    topology: string
    checkpointId: string
    durationMs: number
    /** State bytes written; 0 when nothing was (stateless, or deferred). */
    bytes: number
    /** Offsets were committed (false while a rebalance defers state and offsets). */
    committed: boolean
    /** Dedup keys held in memory over all owned partitions; null for a topology without dedup. */
    stateKeys: number | null
    /** `dedup.maxKeysInMemory`, the bound on stateKeys; null without dedup. */
    stateMaxKeys: number | null
    openWindows: [gold: string, windows: number][]
    watermarks: { partition: number; lagMs: number }[]
  }
  'checkpoint.restore': { topology: string; checkpointId: string | null; durationMs: number; keys: number }
  'rebalance.assigned': { topology: string; partitions: TopicPartition[] }
  'rebalance.revoked': { topology: string; partitions: TopicPartition[] }
  /** One event per batch and reason, not per record; `firstOffset` points at an example. */
  'record.dead_lettered': {
    topology: string
    stage: string
    reasonCode: string
    count: number
    topic: string
    partition: number
    firstOffset: string
    message: string
  }
  /**
   * Live dedup keys dropped from memory to stay within `dedup.maxKeysInMemory`, since the previous
   * event (emitted with a checkpoint, only when some were): duplicates of them are no longer dropped.
   */
  'dedup.evicted': { topology: string; evicted: number; total: number; maxKeys: number }
  /** A topology's runner came up, failed (`up` false), or was started again after a failure. */
  'topology.state': { topology: string; up: boolean; restarted: boolean }
  /** Per batch: how many records each operator saw, as differences since the previous event. */
  'records.counted': {
    topology: string
    counts: RecordCounts
    /** Rule name -> failures since the previous event. */
    ruleFailures: [rule: string, n: number][]
  }
}

/** The pipeline's counters (`PipelineStats`); records in are counted at the source (batch start). */
export interface RecordCounts {
  decoded: number
  rejectedDecode: number
  rejectedValidate: number
  valid: number
  duplicates: number
  late: number
  /** Change streams' tombstones: kept in bronze, nothing to load into silver. */
  tombstones: number
}

// Fails to compile if the name list and the payload map drift apart.
type _Exhaustive = [EngineEventName] extends [keyof EngineEventPayloads]
  ? [keyof EngineEventPayloads] extends [EngineEventName]
    ? true
    : never
  : never
const _exhaustive: _Exhaustive = true
void _exhaustive

export type EngineEventListener<N extends EngineEventName> = (payload: EngineEventPayloads[N]) => void

export interface EngineEventsOptions {
  /** Called when a listener throws. Default: a process warning. */
  onListenerError?: (err: unknown, name: EngineEventName) => void
}

export class EngineEvents {
  readonly #listeners = new Map<EngineEventName, Array<(payload: never) => void>>()
  readonly #onListenerError: (err: unknown, name: EngineEventName) => void

  constructor(options: EngineEventsOptions = {}) {
    this.#onListenerError =
      options.onListenerError ??
      ((err, name) =>
        process.emitWarning(`listener for ${name} threw: ${String(err)}`, 'TributaryEventWarning'))
  }

  /** Returns the unsubscribe function. */
  on<N extends EngineEventName>(name: N, fn: EngineEventListener<N>): () => void {
    const list = this.#listeners.get(name) ?? []
    list.push(fn)
    this.#listeners.set(name, list)
    return () => {
      const current = this.#listeners.get(name)
      if (current === undefined) return
      const i = current.indexOf(fn)
      if (i !== -1) current.splice(i, 1)
    }
  }

  /**
   * Synchronous, in subscription order. A throwing listener is reported and skipped: observing the
   * pipeline must never be what stops it.
   */
  emit<N extends EngineEventName>(name: N, payload: EngineEventPayloads[N]): void {
    const list = this.#listeners.get(name)
    if (list === undefined || list.length === 0) return
    // A copy, so a listener that unsubscribes during emit does not make the next one skip.
    for (const fn of [...list] as EngineEventListener<N>[]) {
      try {
        fn(payload)
      } catch (err) {
        this.#onListenerError(err, name)
      }
    }
  }
}
