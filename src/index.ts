/**
 * Tributary's public API: what a topology author imports, and the engine for running topologies
 * from a program (the CLI, the demo and the bench use it). Everything else is internal.
 */

export { type ChangeStream, type DebeziumChange, type DebeziumOptions, debezium } from './cdc/debezium.ts'
export { type LoadOptions as LoadConfigOptions, loadConfig, type TributaryConfig } from './config/config.ts'
export { ConfigError, TributaryError } from './errors/tributary-error.ts'
export type { Envelope, KafkaRecord } from './records/record.ts'
export type { Rejection } from './records/rejection.ts'
export type { ReprocessFrom } from './reprocess/candidates.ts'
export { type ReprocessOptions, type ReprocessSummary, reprocess } from './reprocess/reprocess.ts'
export { Engine, type EngineOptions } from './runtime/engine.ts'
export type { Infer, RecordSchema } from './schema/types.ts'
export { defineSchema } from './schema/types.ts'
export { type AvroOptions, avro, json, type SchemaLookup, type ValueFormat } from './serde/format.ts'
export { MemoryStateStore } from './state/memory-store.ts'
export { createRedisStore, type RedisStateStore } from './state/redis-store.ts'
export type { StateStore } from './state/state-store.ts'
export { renameTopology } from './testing/rename.ts'
export type { GoldResult } from './testing/test-driver.ts'
export { TopologyTestDriver } from './testing/test-driver.ts'
export {
  defineTopology,
  step,
  type Topology,
  type TopologyDefinition,
  type TopologyLogic,
  type TopologySpec,
} from './topology/define.ts'
export {
  matches,
  oneOf,
  positive,
  predicate,
  type Rule,
  type Rules,
  range,
  required,
} from './validation/rules.ts'
export {
  avg,
  count,
  distinctCount,
  max,
  min,
  type ReducerOptions,
  reduce,
  sum,
} from './windows/aggregations.ts'
export type { Duration } from './windows/durations.ts'
export type { EventTimeBounds } from './windows/event-time-bounds.ts'
export type { GoldDeclaration, WatermarkDeclaration } from './windows/gold.ts'
export { hopping, session, tumbling, type WindowSpec } from './windows/window-spec.ts'
