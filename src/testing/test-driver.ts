import { buildPipeline, type Pipeline } from '../pipeline/pipeline.ts'
import type { Envelope, KafkaRecord } from '../records/record.ts'
import type { Rejection } from '../records/rejection.ts'
import type { Infer, RecordSchema } from '../schema/types.ts'
import { bindSource } from '../serde/bind.ts'
import { memoryRegistry, type SchemaRegistry } from '../serde/registry.ts'
import { MemorySink } from '../sinks/memory-sink.ts'
import { PartitionStates } from '../state/partition-states.ts'
import type { Topology } from '../topology/define.ts'
import { mergeAll, resultAll } from '../windows/aggregations.ts'
import { keyValues } from '../windows/gold.ts'
import type { GoldRow } from '../windows/gold-row.ts'

/** One merged gold row, as the `gold_<name>` view shows it. */
export interface GoldResult {
  readonly key: readonly string[]
  readonly start: number
  readonly end: number
  readonly values: Record<string, number>
}

export interface PipeOptions {
  readonly topic?: string
  readonly partition?: number
  readonly key?: string | Buffer | null
  readonly timestamp?: number
  readonly headers?: Record<string, string>
  /** Records still behind the partition's high watermark after this one, as the source reports. */
  readonly backlog?: number
}

/**
 * Runs a topology in process, like Kafka Streams' TopologyTestDriver: the same pipeline the
 * runtime builds, with in-memory sinks and an in-memory schema registry. No broker, no ClickHouse.
 */
export class TopologyTestDriver<S extends RecordSchema> {
  readonly topology: Topology<S>
  readonly registry: SchemaRegistry
  private readonly bronzeSink = new MemorySink<KafkaRecord>('bronze')
  private readonly silverSink = new MemorySink<Envelope<Infer<S>>>('silver')
  private readonly rejectSink = new MemorySink<Rejection>('rejects')
  private readonly lateSink = new MemorySink<Rejection>('late')
  private readonly goldSinks: Map<string, MemorySink<GoldRow>>
  private readonly pipeline: Pipeline
  private readonly serde
  private readonly offsets = new Map<string, number>()
  private readonly states = new PartitionStates()
  private clock: number

  constructor(topology: Topology<S>, options: { registry?: SchemaRegistry; startTime?: number } = {}) {
    this.topology = topology
    this.registry = options.registry ?? memoryRegistry()
    this.clock = options.startTime ?? Date.UTC(2026, 0, 1)
    this.serde = bindSource(topology.definition.source, this.registry)
    this.goldSinks = new Map((topology.definition.gold ?? []).map((g) => [g.name, new MemorySink(g.name)]))
    this.pipeline = buildPipeline(
      topology,
      this.serde as never,
      {
        ...(topology.tables.bronze ? { bronze: this.bronzeSink } : {}),
        ...(topology.tables.silver ? { silver: this.silverSink } : {}),
        rejects: this.rejectSink,
        gold: this.goldSinks,
        late: this.lateSink,
      },
      { partitions: this.states, clock: () => this.clock },
    )
  }

  /** Encodes a value the way a producer would (Avro through the registry, or JSON) and pipes it. */
  async pipe(value: Infer<S> | Record<string, unknown>, options: PipeOptions = {}): Promise<void> {
    const topic = options.topic ?? this.topology.definition.source.topics[0]!
    const bytes =
      this.topology.definition.source.format.kind === 'json'
        ? Buffer.from(JSON.stringify(value))
        : await this.serde.encode(value as Infer<S>, topic)
    await this.pipeBytes(bytes, options)
  }

  /** Pipes raw bytes, e.g. to test what undecodable input does. */
  async pipeBytes(value: Buffer | null, options: PipeOptions = {}): Promise<void> {
    const topic = options.topic ?? this.topology.definition.source.topics[0]!
    const partition = options.partition ?? 0
    const k = `${topic}/${partition}`
    const offset = this.offsets.get(k) ?? 0
    this.offsets.set(k, offset + 1)
    const key = options.key === undefined || options.key === null ? null : Buffer.from(options.key)
    const record: KafkaRecord = {
      topic,
      partition,
      offset: String(offset),
      timestamp: options.timestamp ?? this.clock,
      key,
      value,
      headers: options.headers ?? {},
    }
    if (!this.states.has(topic, partition))
      this.states.set(topic, partition, { offset: null, dedup: new Map(), kv: new Map(), meta: {} })
    await this.serde.prepare([value], topic)
    this.pipeline.push([record])
    if (options.backlog !== undefined) this.pipeline.backlog(topic, partition, options.backlog)
  }

  /** Moves processing time on, as the runtime's timer would: idle partitions' windows close. */
  advanceTime(ms: number): void {
    this.clock += ms
    this.pipeline.tick()
  }

  /** What a checkpoint does before it flushes: early gold results (`emit: 'updates'`) appear. */
  checkpoint(): void {
    this.pipeline.checkpoint()
  }

  get now(): number {
    return this.clock
  }

  get stats() {
    return this.pipeline.stats
  }

  bronze(): readonly KafkaRecord[] {
    return this.bronzeSink.all
  }

  silver(): Infer<S>[] {
    // Plain copies: Avro decoding yields class instances, which deepEqual would tell apart.
    return this.silverSink.all.map((e) => ({ ...e.value }))
  }

  silverEnvelopes(): readonly Envelope<Infer<S>>[] {
    return this.silverSink.all
  }

  /** Partial rows written to `gold_<name>_partials`, in emission order. */
  goldRows(name: string): readonly GoldRow[] {
    const sink = this.goldSinks.get(name)
    if (!sink) throw new Error(`topology ${this.topology.name} has no gold ${JSON.stringify(name)}`)
    return sink.all
  }

  /**
   * The `gold_<name>` view: per partition the highest version of each window, tombstones dropped,
   * merged across partitions; ordered by window end, start, then key.
   */
  gold(name: string): GoldResult[] {
    const aggregate = this.topology.definition.gold!.find((g) => g.name === name)!.aggregate
    const latest = new Map<string, GoldRow>()
    for (const r of this.goldRows(name)) {
      const id = JSON.stringify([r.key, r.start, r.topic, r.partition])
      if ((latest.get(id)?.version ?? -1) <= r.version) latest.set(id, r)
    }
    const merged = new Map<string, { row: GoldRow; accs: GoldRow['accs'] & object }>()
    for (const r of latest.values()) {
      if (r.accs === null) continue
      const id = JSON.stringify([r.key, r.start, r.end])
      const accs = structuredClone(r.accs)
      const m = merged.get(id)
      if (m) mergeAll(aggregate, m.accs, accs)
      else merged.set(id, { row: r, accs })
    }
    return [...merged.values()]
      .map(({ row, accs }) => ({
        key: keyValues(row.key),
        start: row.start,
        end: row.end,
        values: resultAll(aggregate, accs),
      }))
      .sort((a, b) => a.end - b.end || a.start - b.start || (a.key.join() < b.key.join() ? -1 : 1))
  }

  /** Records too late for some gold's windows: the `late_<entity>` table. */
  late(): readonly Rejection[] {
    return this.lateSink.all
  }

  /** What the dead-letter topic and the quarantine table would both receive. */
  rejected(): readonly Rejection[] {
    return this.rejectSink.all
  }
}
