import type { KafkaMessage } from 'kafkajs'
import type { KafkaRecord } from '../../records/record.ts'

function headerText(v: Buffer | string | (Buffer | string)[] | undefined): string {
  if (v === undefined) return ''
  if (Array.isArray(v)) return v.map((x) => x.toString()).join(',')
  return v.toString()
}

export function toRecord(topic: string, partition: number, m: KafkaMessage): KafkaRecord {
  let headers: Record<string, string> = {}
  if (m.headers) {
    headers = {}
    for (const k in m.headers) headers[k] = headerText(m.headers[k])
  }
  return {
    topic,
    partition,
    offset: m.offset,
    timestamp: Number(m.timestamp),
    key: m.key,
    value: m.value,
    headers,
  }
}
