import type { Observable } from 'rxjs'
import { changes } from '../operators/changes.ts'
import { decode } from '../operators/decode.ts'
import { dedup } from '../operators/dedup.ts'
import { validate } from '../operators/validate.ts'
import type { Envelope, KafkaRecord } from '../records/record.ts'
import { type Rejection, readable } from '../records/rejection.ts'
import { PipelineStats } from '../records/stats.ts'
import type { Violation } from '../schema/conform.ts'
import type { Infer, RecordSchema } from '../schema/types.ts'
import type { ValueSerde } from '../serde/format.ts'
import type { Sink } from '../sinks/sink.ts'
import type { PartitionStates } from '../state/partition-states.ts'
import { DEFAULT_MAX_PAYLOAD_BYTES, decodes, type Topology } from '../topology/define.ts'
import { planOf } from '../topology/plan.ts'
import { parseDuration } from '../windows/durations.ts'
import { eventTimeBoundsMs } from '../windows/event-time-bounds.ts'
import { watermarkMs } from '../windows/gold.ts'
import type { GoldRow } from '../windows/gold-row.ts'
import { GoldWindows } from '../windows/gold-windows.ts'
import { entry } from './entry.ts'

export interface PipelineSinks<T> {
  readonly bronze?: Sink<KafkaRecord>
  readonly silver?: Sink<Envelope<T>>
  /** Dead-letter topic and quarantine table, fanned out by the caller. */
  readonly rejects: Sink<Rejection>
  /** Per gold name; required for each gold the topology declares. */
  readonly gold?: ReadonlyMap<string, Sink<GoldRow>>
  /** Records too late for every window of some gold. */
  readonly late?: Sink<Rejection>
}

/** What stateful operators need; absent for stateless topologies. */
export interface PipelineState {
  readonly partitions: PartitionStates
  readonly clock: () => number
}

export interface PipelineOptions {
  /** What the silver columns can hold; values that do not fit are rejected, not inserted. */
  readonly columns?: (value: unknown) => Violation[]
}

export interface Pipeline {
  /** Pushes records through synchronously: when it returns, each is in a sink, rejected or dropped. */
  push(records: readonly KafkaRecord[]): void
  readonly stats: PipelineStats
  /** The source's backlog for a partition after a batch: a partition with one is not idle. */
  backlog(topic: string, partition: number, records: number): void
  /** Processing-time housekeeping: idle partitions' windows close. */
  tick(): void
  /** The input was bounded and is all pushed: closes every open window (a reprocess run). */
  drain(): void
  /** Early gold results and window state into the pending state changes; call before flushing. */
  checkpoint(): void
  /** After a rebalance: forgets partitions not in `owned` (keys from `partitionKey`). */
  retainOnly(owned: ReadonlySet<string>): void
  /** Open windows per gold and watermark lag per partition; empty without gold. */
  windows(): ReturnType<GoldWindows<unknown>['report']> | undefined
  close(): void
}

/**
 * Wires a topology's RxJS graph to sinks. Everything here is synchronous by design: after `push`
 * returns, the sinks hold every record of the batch, so a checkpoint that flushes them may commit
 * the batch's offsets.
 */
export function buildPipeline<S extends RecordSchema>(
  topology: Topology<S>,
  serde: ValueSerde<unknown>,
  sinks: PipelineSinks<Infer<S>>,
  state?: PipelineState,
  options: PipelineOptions = {},
): Pipeline {
  const def = topology.definition
  const stats = new PipelineStats()
  const input = entry<KafkaRecord>()
  const failed: unknown[] = []
  const onError = (err: unknown) => failed.push(err)

  if (sinks.bronze) {
    const bronze = sinks.bronze
    input.observable.subscribe({ next: (r) => bronze.add(r), error: onError })
  }

  if ((def.dedup || def.gold?.length) && !state) {
    throw new Error(`topology ${topology.name} is stateful but was built without state`)
  }
  const golds = decodes(topology)
    ? decodedLayers(input.observable, topology, serde, sinks, state, stats, onError, options)
    : undefined

  return {
    stats,
    push(records) {
      // Counted here, at the entry, so a bronze-only topology (which decodes nothing) counts too.
      stats.in += records.length
      for (let i = 0; i < records.length; i++) input.next(records[i]!)
      // A throwing user operator would otherwise silently stop the stream; fail the batch instead.
      if (failed.length > 0) throw failed[0]
      golds?.closeDirty()
    },
    backlog(topic, partition, records) {
      golds?.backlog(topic, partition, records)
    },
    tick() {
      golds?.closeIdle()
    },
    drain() {
      golds?.closeAll()
    },
    checkpoint() {
      golds?.checkpoint()
    },
    retainOnly(owned) {
      state?.partitions.retainOnly(owned)
      golds?.retainOnly(owned)
    },
    windows() {
      return golds?.report()
    },
    close() {
      input.complete()
    },
  }
}

/** The plan's steps (decode, validate, dedup, your transforms), then silver and gold; rejects to the reject sink. */
function decodedLayers<S extends RecordSchema>(
  input: Observable<KafkaRecord>,
  topology: Topology<S>,
  serde: ValueSerde<unknown>,
  sinks: PipelineSinks<Infer<S>>,
  state: PipelineState | undefined,
  stats: PipelineStats,
  onError: (err: unknown) => void,
  options: PipelineOptions,
): GoldWindows<Infer<S>> | undefined {
  const def = topology.definition
  const reject = (r: Rejection) => sinks.rejects.add({ ...r, reason: readable(r.reason) })
  // biome-ignore lint/suspicious/noExplicitAny: each step narrows what it passes on
  let valid: Observable<any> = input
  for (const step of planOf(topology).steps) {
    switch (step.kind) {
      case 'decode':
        valid = valid.pipe(
          decode({
            topology: topology.name,
            serde,
            reject,
            stats,
            maxPayloadBytes: def.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES,
            tombstones: def.source.changes !== undefined,
          }),
        )
        break
      case 'changes':
        valid = valid.pipe(
          changes({
            topology: topology.name,
            stream: step.stream,
            reject,
            stats,
            deletes: (env) => sinks.silver?.add(env as Envelope<Infer<S>>),
          }),
        )
        break
      case 'validate':
        valid = valid.pipe(
          validate({
            topology: topology.name,
            schema: def.source.format.schema,
            conform: def.source.format.kind === 'json',
            ...(def.rules ? { rules: def.rules } : {}),
            ...(def.eventTime ? { eventTime: def.eventTime } : {}),
            eventTimeBounds: eventTimeBoundsMs(topology.name, def.eventTimeBounds),
            ...(options.columns && sinks.silver ? { columns: options.columns } : {}),
            reject,
            stats,
          }),
        )
        break
      case 'dedup':
        valid = valid.pipe(
          dedup({
            key: step.dedup.key,
            retentionMs: parseDuration(step.dedup.retention, `topology ${topology.name}: dedup.retention`),
            // buildPipeline refused a stateful topology without state.
            states: state!.partitions,
            stats,
            clock: state!.clock,
          }),
        )
        break
      case 'transform':
        valid = valid.pipe(step.step.operator)
        break
    }
  }
  const golds = def.gold?.length && state ? goldWindows(topology, sinks, state, stats) : undefined
  const silver = sinks.silver
  valid.subscribe({
    next: (env) => {
      silver?.add(env)
      golds?.add(env)
    },
    error: onError,
  })
  return golds
}

function goldWindows<S extends RecordSchema>(
  topology: Topology<S>,
  sinks: PipelineSinks<Infer<S>>,
  state: PipelineState,
  stats: PipelineStats,
): GoldWindows<Infer<S>> {
  const def = topology.definition
  const targets = new Map<string, Sink<GoldRow>>()
  for (const g of def.gold ?? []) {
    const sink = sinks.gold?.get(g.name)
    if (!sink) throw new Error(`topology ${topology.name}: no sink for gold ${g.name}`)
    targets.set(g.name, sink)
  }
  return new GoldWindows({
    golds: def.gold ?? [],
    watermark: watermarkMs(topology.name, def.watermark),
    states: state.partitions,
    clock: state.clock,
    stats,
    emit: (gold, row) => targets.get(gold)!.add(row),
    late: (env, golds, watermark) =>
      sinks.late?.add({
        source: env.source,
        topology: topology.name,
        stage: 'window',
        code: 'LATE',
        reason: `event time ${new Date(env.eventTime).toISOString()} is too late for gold ${golds.join(', ')}: every window it belongs to closed at watermark ${new Date(watermark).toISOString()}`,
        rules: [],
      }),
  })
}
