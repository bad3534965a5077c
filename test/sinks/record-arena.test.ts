import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { KafkaRecord } from '../../src/records/record.ts'
import { RecordArena } from '../../src/sinks/record-arena.ts'

function record(offset: number, over: Partial<KafkaRecord> = {}): KafkaRecord {
  return {
    topic: 'orders',
    partition: 4,
    offset: String(offset),
    timestamp: 1_767_261_600_000 + offset,
    key: Buffer.from(`k${offset}`),
    value: Buffer.from(`{"n":${offset}}`),
    headers: {},
    ...over,
  }
}

test('records come back equal, by position, through growth of bytes and index', () => {
  const arena = new RecordArena()
  const records: KafkaRecord[] = []
  for (let i = 0; i < 5000; i++) {
    const r =
      i % 7 === 0
        ? record(i, { key: null })
        : i % 11 === 0
          ? record(i, { value: null })
          : i % 13 === 0
            ? record(i, { key: Buffer.alloc(0), value: Buffer.alloc(70_000, i % 256) })
            : record(i)
    records.push(r)
    arena.add(r)
  }
  assert.equal(arena.length, records.length)
  for (const [i, r] of records.entries()) {
    const back = arena.get(i)
    assert.deepEqual({ ...back, headers: { ...back.headers } }, r, `record ${i}`)
  }
})

test('records with headers or offsets past 2^53 are kept as they are', () => {
  const arena = new RecordArena()
  const withHeaders = record(1, {
    headers: { trace: 'a' },
    headerList: [{ key: 'trace', value: Buffer.from('a') }],
  })
  const huge = record(0, { offset: '9007199254740993' })
  arena.add(record(0))
  arena.add(withHeaders)
  arena.add(huge)
  assert.equal(arena.get(1), withHeaders)
  assert.equal(arena.get(2), huge)
  assert.equal(arena.get(0).offset, '0')
})
