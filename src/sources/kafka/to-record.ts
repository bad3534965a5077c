import type { IHeaders, KafkaMessage } from 'kafkajs'
import { type KafkaHeader, type KafkaRecord, NO_HEADERS } from '../../records/record.ts'

type HeaderValue = IHeaders[string]

function bytes(v: Buffer | string): Buffer {
  return typeof v === 'string' ? Buffer.from(v) : v
}

/**
 * A header's values as received. kafkajs' decoder tests `obj[key] === undefined` on a plain object,
 * which for `__proto__` reads Object.prototype: it hands over [Object.prototype, value]. Only
 * bytes and strings are header values, so anything else is that artefact.
 */
function values(v: HeaderValue): (Buffer | string)[] {
  if (v === undefined) return []
  const all = Array.isArray(v) ? v : [v]
  return all.filter((x) => typeof x === 'string' || Buffer.isBuffer(x))
}

function hasKeys(o: object): boolean {
  for (const _ in o) return true
  return false
}

export function toRecord(topic: string, partition: number, m: KafkaMessage): KafkaRecord {
  let headers: Readonly<Record<string, string>> = NO_HEADERS
  let headerList: KafkaHeader[] | undefined
  if (m.headers && hasKeys(m.headers)) {
    // No prototype: a header named __proto__ is a header like any other.
    const text: Record<string, string> = Object.create(null)
    headerList = []
    for (const key of Object.keys(m.headers)) {
      const vs = values(m.headers[key])
      text[key] = vs.map(String).join(',')
      for (const x of vs) headerList.push({ key, value: bytes(x) })
    }
    headers = text
  }
  // Number(): kafkajs's decoder gives text, record-decoder.ts a number.
  const timestamp = Number(m.timestamp)
  return headerList
    ? { topic, partition, offset: m.offset, timestamp, key: m.key, value: m.value, headers, headerList }
    : { topic, partition, offset: m.offset, timestamp, key: m.key, value: m.value, headers }
}
