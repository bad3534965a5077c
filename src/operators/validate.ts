import type { OperatorFunction } from 'rxjs'
import type { Envelope } from '../records/record.ts'
import type { Rejection } from '../records/rejection.ts'
import type { PipelineStats } from '../records/stats.ts'
import { conformer, type Violation } from '../schema/conform.ts'
import type { Infer, RecordSchema } from '../schema/types.ts'
import { compileRules, type Rules } from '../validation/rules.ts'
import { type EventTimeBoundsMs, outOfBounds } from '../windows/event-time-bounds.ts'
import { operator } from './operator.ts'

export interface ValidateOptions<S extends RecordSchema> {
  readonly topology: string
  readonly schema: S
  /** JSON input must be checked against the schema; Avro input already conforms by construction. */
  readonly conform: boolean
  readonly rules?: Rules<Infer<S>>
  readonly eventTime?: (value: Infer<S>) => number
  /** Bounds on `eventTime` relative to the Kafka timestamp; applied only with `eventTime`. */
  readonly eventTimeBounds?: EventTimeBoundsMs
  /** What the silver columns can hold (sinks/clickhouse/capacity.ts); absent without a table. */
  readonly columns?: (value: unknown) => Violation[]
  readonly reject: (r: Rejection) => void
  readonly stats: PipelineStats
}

/**
 * Schema conformance, then every declared rule. A record that fails carries every failure, so one
 * quarantine row explains all that was wrong with it.
 */
export function validate<S extends RecordSchema>(
  opts: ValidateOptions<S>,
): OperatorFunction<Envelope<unknown>, Envelope<Infer<S>>> {
  const { topology, reject, stats, eventTime } = opts
  const conform = opts.conform ? conformer<Infer<S>>(opts.schema) : null
  const check = compileRules(opts.rules)
  const fail = (
    env: Envelope<unknown>,
    failures: readonly { rule: string; message: string }[],
    code = 'RULES_FAILED',
  ) => {
    stats.rejectedValidate++
    stats.countReject(code)
    for (const f of failures) stats.countRule(f.rule)
    reject({
      source: env.source,
      topology,
      stage: 'validate',
      code,
      reason: failures.map((f) => f.message).join('; '),
      rules: failures.map((f) => f.rule),
    })
  }
  return operator((emit) => (env) => {
    let value = env.value as Infer<S>
    if (conform) {
      const res = conform(env.value)
      if (!res.ok) return fail(env, res.violations)
      value = res.value
    }
    const failures = check(value)
    if (failures.length > 0) return fail(env, failures)
    const unfit = opts.columns?.(value)
    if (unfit && unfit.length > 0) return fail(env, unfit, 'VALUE_OUT_OF_RANGE')
    if (!eventTime) {
      stats.valid++
      return emit(withValue(env, value, env.eventTime))
    }
    const at = eventTime(value)
    const stray =
      opts.eventTimeBounds && outOfBounds(at, env.source.timestamp, opts.eventTimeBounds, 'eventTime')
    if (stray) return fail(env, [{ rule: 'eventTime.bounds', message: stray }], 'EVENT_TIME_OUT_OF_BOUNDS')
    stats.valid++
    emit(withValue(env, value, at))
  })
}

/**
 * The envelope with its validated value and event time. Built as decode builds it (one shape along
 * the pipeline) rather than spread, unless it carries a change.
 */
function withValue<T>(env: Envelope<unknown>, value: T, eventTime: number): Envelope<T> {
  return env.change === undefined
    ? { value, source: env.source, eventTime, schemaId: env.schemaId }
    : { ...env, value, eventTime }
}
