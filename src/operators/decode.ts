import type { OperatorFunction } from 'rxjs'
import { DecodeError } from '../errors/tributary-error.ts'
import type { Envelope, KafkaRecord } from '../records/record.ts'
import type { Rejection } from '../records/rejection.ts'
import type { PipelineStats } from '../records/stats.ts'
import type { ValueSerde } from '../serde/format.ts'
import { operator } from './operator.ts'

export interface DecodeOptions<T> {
  readonly topology: string
  readonly serde: ValueSerde<T>
  readonly reject: (r: Rejection) => void
  readonly stats: PipelineStats
  /** Payloads above this many bytes are rejected before decoding. */
  readonly maxPayloadBytes: number
  /** A change stream's null values are tombstones (a delete's compaction marker): counted, not decoded. */
  readonly tombstones?: boolean
}

/** Bytes to typed values; anything undecodable leaves through `reject`, never as an error. */
export function decode<T>(opts: DecodeOptions<T>): OperatorFunction<KafkaRecord, Envelope<unknown>> {
  const { topology, serde, reject, stats, maxPayloadBytes, tombstones = false } = opts
  const fail = (source: KafkaRecord, code: string, reason: string) => {
    stats.rejectedDecode++
    stats.countReject(code)
    reject({ source, topology, stage: 'decode', code, reason, rules: [] })
  }
  return operator((emit) => (record) => {
    if (tombstones && record.value === null) {
      stats.tombstones++
      return
    }
    if (record.value !== null && record.value.length > maxPayloadBytes) {
      fail(
        record,
        'OVERSIZED_PAYLOAD',
        `the payload is ${record.value.length} bytes, more than the topology's maxPayloadBytes (${maxPayloadBytes}); it was not decoded`,
      )
      return
    }
    let decoded: ReturnType<ValueSerde<T>['decode']>
    try {
      decoded = serde.decode(record.value, record.topic)
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err
      fail(record, err.code, err.message)
      return
    }
    stats.decoded++
    emit({ value: decoded.value, source: record, eventTime: record.timestamp, schemaId: decoded.schemaId })
  })
}
