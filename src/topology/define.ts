import type { OperatorFunction } from 'rxjs'
import type { ChangeStream } from '../cdc/debezium.ts'
import { ConfigError } from '../errors/tributary-error.ts'
import type { Envelope } from '../records/record.ts'
import { type Infer, isNullable, type RecordSchema } from '../schema/types.ts'
import type { ValueFormat } from '../serde/format.ts'
import type { Rules } from '../validation/rules.ts'
import type { Duration } from '../windows/durations.ts'
import { type EventTimeBounds, eventTimeBoundsMs } from '../windows/event-time-bounds.ts'
import { checkGold, type GoldDeclaration, type WatermarkDeclaration, watermarkMs } from '../windows/gold.ts'
import { tableNames } from './table-names.ts'

/**
 * A topology is a value: it names its inputs, checks and outputs and does no I/O. `tributary run`
 * runs it against Kafka and ClickHouse; `TopologyTestDriver` runs the very same value in memory.
 */
export interface TopologySpec<S extends RecordSchema> {
  /** Stable name: the consumer group, metric labels, state keys and the DLQ topic derive from it. */
  readonly name: string
  /** Table suffix: `bronze_<entity>`, `silver_<entity>`, `quarantine_<entity>`. Defaults to `name`. */
  readonly entity?: string
  readonly description?: string
  readonly source: {
    readonly topics: readonly string[]
    readonly format: ValueFormat<S>
    /**
     * The topics carry changes to a table, e.g. `debezium({ key: 'id', version: 'source.lsn' })`:
     * silver then holds each key's current row (see `tables.current`).
     */
    readonly changes?: ChangeStream<keyof NoInfer<Infer<S>> & string>
  }
  /** Which tables to write; both default to true (bronze-only runs feed a raw landing zone). */
  readonly layers?: { readonly bronze?: boolean; readonly silver?: boolean }
  /** Defaults to `<name>.dlq`. */
  readonly deadLetterTopic?: string
  /** Payloads above this are dead-lettered undecoded. Default 256 KiB (under Kafka's 1 MB default). */
  readonly maxPayloadBytes?: number
}

/**
 * What happens to the records. A separate argument from the spec so TypeScript has fixed the
 * record type (from `source.format`) before it types your callbacks.
 */
export interface TopologyLogic<T> {
  /** Event time in epoch ms; defaults to the Kafka timestamp. */
  readonly eventTime?: (value: T) => number
  /**
   * How far `eventTime` may be from the record's Kafka timestamp; records outside are quarantined
   * (EVENT_TIME_OUT_OF_BOUNDS) rather than moving the watermark. Default: at most 1 day ahead.
   */
  readonly eventTimeBounds?: EventTimeBounds
  readonly rules?: Rules<T>
  /** Your own RxJS operators, run on valid records before silver. Keep them synchronous. */
  readonly transform?: readonly NamedOperator<T>[]
  /**
   * Drop records whose key was already seen within `retention` (per input partition; keys live in
   * the state store and are checkpointed with the offsets). Runs after validation, before silver.
   */
  readonly dedup?: { readonly name: string; readonly key: (value: T) => string; readonly retention: Duration }
  /** Event-time progress per input partition; windows close on it. Default: no out-of-orderness. */
  readonly watermark?: WatermarkDeclaration
  /**
   * Windowed aggregates, each a `gold_<name>` view over per-partition partial rows. Runs on the
   * records silver receives: valid, deduplicated, transformed. Late records go to `late_<entity>`.
   */
  readonly gold?: readonly GoldDeclaration<T>[]
  /** Example records for `tributary produce --generate` (the demo and benchmarks): deterministic in `i`. */
  readonly examples?: {
    readonly valid: (i: number) => T
    readonly invalid?: (i: number) => T
    /** The Kafka key a producer would give the record; gold declared `copartitioned` relies on it. */
    readonly key?: (value: T) => string
  }
}

export type TopologyDefinition<S extends RecordSchema> = TopologySpec<S> & TopologyLogic<Infer<S>>

export interface NamedOperator<T> {
  readonly name: string
  readonly operator: OperatorFunction<Envelope<T>, Envelope<T>>
}

export interface Topology<S extends RecordSchema = RecordSchema> {
  readonly name: string
  readonly entity: string
  readonly definition: TopologyDefinition<S>
  readonly deadLetterTopic: string
  readonly tables: {
    readonly bronze?: string
    readonly silver?: string
    /** A change stream's `silver_<entity>_current` view: one row per live key, exact without FINAL. */
    readonly current?: string
    readonly quarantine: string
    /** Records too late for a gold window; present when the topology declares gold. */
    readonly late?: string
    /** The `gold_<name>` views users query. */
    readonly gold: readonly string[]
  }
}

export const DEFAULT_MAX_PAYLOAD_BYTES = 256 * 1024

/**
 * Whether records are decoded at all: only silver and gold use decoded records. A bronze-only
 * topology is a raw landing zone, like ClickHouse's Kafka engine into a String column: it neither
 * decodes nor validates, so nothing of it is quarantined.
 */
export function decodes(topology: Pick<AnyTopology, 'tables'>): boolean {
  return topology.tables.silver !== undefined || topology.tables.gold.length > 0
}

/**
 * Any topology, whatever its record type: what the runtime, CLI and engine hold. Topology<S> is
 * invariant in S (user operators consume and produce S), so no narrower common type exists.
 */
// biome-ignore lint/suspicious/noExplicitAny: see above
export type AnyTopology = Topology<any>

const NAME = /^[a-z][a-z0-9_-]{0,62}$/

/** Names a transform step, so `describe` and metrics can show it. */
export function step<T>(name: string, op: OperatorFunction<Envelope<T>, Envelope<T>>): NamedOperator<T> {
  return { name, operator: op }
}

export function defineTopology<S extends RecordSchema>(
  spec: TopologySpec<S>,
  logic: TopologyLogic<NoInfer<Infer<S>>> = {},
): Topology<S> {
  const definition: TopologyDefinition<S> = { ...spec, ...logic }
  const { name } = definition
  if (!NAME.test(name)) {
    throw new ConfigError(
      'topology.name',
      `${JSON.stringify(name)} is not a valid name`,
      'use lowercase letters, digits, - and _, starting with a letter',
    )
  }
  const entity = (definition.entity ?? name).replaceAll('-', '_')
  if (!NAME.test(entity)) {
    throw new ConfigError(
      `topology ${name}: entity`,
      `${JSON.stringify(entity)} is not a valid table suffix`,
      'use lowercase letters, digits and _',
    )
  }
  if (definition.source.topics.length === 0) {
    throw new ConfigError(`topology ${name}: source.topics`, 'no topics', 'name at least one Kafka topic')
  }
  const gold = definition.gold ?? []
  if (definition.source.changes)
    checkChanges(name, definition.source.changes, definition.source.format.schema, gold)
  checkGold(name, gold)
  watermarkMs(name, definition.watermark)
  eventTimeBoundsMs(name, definition.eventTimeBounds)
  const bronze = definition.layers?.bronze ?? true
  const silver = definition.layers?.silver ?? true
  return {
    name,
    entity,
    definition,
    deadLetterTopic: definition.deadLetterTopic ?? `${name}.dlq`,
    tables: {
      ...(bronze ? { bronze: tableNames.bronze(entity) } : {}),
      ...(silver ? { silver: tableNames.silver(entity) } : {}),
      ...(silver && definition.source.changes ? { current: tableNames.current(entity) } : {}),
      quarantine: tableNames.quarantine(entity),
      ...(gold.length > 0 ? { late: tableNames.late(entity) } : {}),
      gold: gold.map((g) => tableNames.gold(g.name)),
    },
  }
}

/** A change stream's key must be columns of the row, never null; gold would count changes, not rows. */
function checkChanges(
  name: string,
  changes: ChangeStream,
  schema: RecordSchema,
  gold: readonly unknown[],
): void {
  for (const k of changes.key) {
    const field = schema.fields.find((f) => f.name === k)
    if (!field)
      throw new ConfigError(
        `topology ${name}: source.changes.key`,
        `${JSON.stringify(k)} is not a field of ${schema.name}`,
        `name the primary key's fields, one of: ${schema.fields.map((f) => f.name).join(', ')}`,
      )
    if (isNullable(field.type))
      throw new ConfigError(
        `topology ${name}: source.changes.key`,
        `${k} is nullable in ${schema.name}, and a primary key column cannot be`,
        `declare ${k} without "null" in its type`,
      )
  }
  if (gold.length > 0)
    throw new ConfigError(
      `topology ${name}: gold`,
      'windowed gold over a change stream would aggregate changes, not rows',
      'aggregate the current state in ClickHouse (a view over silver_<entity>_current), or drop source.changes',
    )
}
