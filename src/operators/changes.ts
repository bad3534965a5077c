import type { OperatorFunction } from 'rxjs'
import { type ChangeStream, unwrapChange } from '../cdc/debezium.ts'
import type { Envelope } from '../records/record.ts'
import type { Rejection } from '../records/rejection.ts'
import type { PipelineStats } from '../records/stats.ts'
import { operator } from './operator.ts'

export interface ChangesOptions {
  readonly topology: string
  readonly stream: ChangeStream
  readonly reject: (r: Rejection) => void
  readonly stats: PipelineStats
  /**
   * Deletes, as key-only rows marked deleted. They skip the rules and your transforms, which are
   * written for whole rows: a delete needs only its key, which this operator checked.
   */
  readonly deletes: (env: Envelope<Record<string, unknown>>) => void
}

/**
 * Change events to rows: a create, update or snapshot read passes on as its `after` image (to be
 * validated like any record), carrying its op and version; an unreadable change (no version, no
 * key, an op that is not a row change) is rejected like an undecodable record.
 */
export function changes(opts: ChangesOptions): OperatorFunction<Envelope<unknown>, Envelope<unknown>> {
  const { topology, stream, reject, stats, deletes } = opts
  return operator((emit) => (env) => {
    const c = unwrapChange(stream, env.value, env.source.key)
    switch (c.kind) {
      case 'invalid':
        stats.rejectedDecode++
        stats.countReject(c.code)
        reject({ source: env.source, topology, stage: 'decode', code: c.code, reason: c.reason, rules: [] })
        return
      case 'delete':
        stats.valid++
        deletes({ ...env, value: c.key, change: { op: 'd', version: c.version, deleted: true } })
        return
      case 'upsert':
        emit({ ...env, value: c.row, change: { op: c.op, version: c.version, deleted: false } })
    }
  })
}
