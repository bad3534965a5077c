/** Tributary's public API: what a topology author imports. Everything else is internal. */

export { ConfigError, TributaryError } from './errors/tributary-error.ts'
export type { Infer, RecordSchema } from './schema/types.ts'
export { defineSchema } from './schema/types.ts'
export { avro, json, type ValueFormat } from './serde/format.ts'
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
export type { Envelope, KafkaRecord } from './topology/record.ts'
export type { Rejection } from './topology/rejection.ts'
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
