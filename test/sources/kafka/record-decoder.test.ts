import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { test } from 'node:test'
import type { KafkaMessage } from 'kafkajs'
import {
  type BatchContext,
  fastRecordDecoder,
  type RecordDecoder,
} from '../../../src/sources/kafka/record-decoder.ts'
import { toRecord } from '../../../src/sources/kafka/to-record.ts'

// kafkajs's own record encoder and decoder: the fast decoder must read what one writes as the other does.
const require = createRequire(import.meta.url)
const encodeRecord = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (r: {
  offsetDelta?: number
  timestampDelta?: number
  key: Buffer | null
  value: Buffer | null
  headers?: Record<string, Buffer | string | (Buffer | string)[]>
}) => { buffer: Buffer }
const kafkajsDecoder = require('kafkajs/src/protocol/recordBatch/record/v0/decoder.js') as RecordDecoder
const Decoder = require('kafkajs/src/protocol/decoder.js') as new (
  b: Buffer,
) => { buffer: Buffer; offset: number }

function context(over: Partial<BatchContext> = {}): BatchContext {
  return {
    firstOffset: '4294967290',
    firstTimestamp: '1767261600123',
    maxTimestamp: '1767261609999',
    timestampType: 0,
    magicByte: 2,
    isControlBatch: false,
    ...over,
  }
}

/** A record as both decoders read it: kafkajs's encoder writes it with its length first. */
function readBoth(record: Parameters<typeof encodeRecord>[0], ctx: BatchContext) {
  const bytes = encodeRecord(record).buffer
  const body = new Decoder(bytes)
  const length = body.buffer[0]! // the tests' records are short: a one-byte varint length
  const one = () => new Decoder(bytes.subarray(1, 1 + (length >>> 1)))
  const fast = fastRecordDecoder(kafkajsDecoder)
  return { kafkajs: kafkajsDecoder(one(), ctx) as KafkaMessage, fast: fast(one(), ctx) as KafkaMessage }
}

/** A message's fields as a plain object (the fast decoder's key and value are getters). */
const FIELDS = [
  'magicByte',
  'attributes',
  'timestamp',
  'offset',
  'key',
  'value',
  'isControlRecord',
  'batchContext',
]
function fields(m: KafkaMessage) {
  const x = m as unknown as Record<string, unknown>
  return { ...Object.fromEntries(FIELDS.map((f) => [f, x[f]])), headers: { ...m.headers } }
}

const RECORDS: Parameters<typeof encodeRecord>[0][] = [
  { offsetDelta: 0, timestampDelta: 0, key: null, value: Buffer.from('{}') },
  { offsetDelta: 7, timestampDelta: -250, key: Buffer.from('k'), value: null },
  {
    offsetDelta: 99,
    timestampDelta: 86_400_000,
    key: Buffer.alloc(0),
    value: Buffer.from([0, 0, 0, 0, 1, 2]),
  },
  {
    offsetDelta: 3,
    timestampDelta: 12,
    key: Buffer.from('key'),
    value: Buffer.from('v'),
    headers: { trace: 'a', repeated: ['x', 'y', 'z'], é: Buffer.from([0xff]) },
  },
]

test('records read the same as kafkajs reads them: offsets, timestamps, keys, values and headers', () => {
  for (const ctx of [context(), context({ timestampType: 1 }), context({ isControlBatch: true })])
    for (const record of RECORDS) {
      const { kafkajs, fast } = readBoth(record, ctx)
      assert.equal(
        Object.getPrototypeOf(fast.headers),
        null,
        'read by the fast decoder, not handed to kafkajs',
      )
      assert.deepEqual(toRecord('t', 0, fast), toRecord('t', 0, kafkajs))
      // The timestamp is the same instant, as a number where kafkajs gives text.
      assert.equal(typeof fast.timestamp, 'number')
      assert.deepEqual({ ...fields(fast), timestamp: String(fast.timestamp) }, fields(kafkajs))
    }
})

test('a batch whose offsets could pass 2^53 is read by kafkajs, exactly', () => {
  const ctx = context({ firstOffset: '9007199254740990' })
  const { kafkajs, fast } = readBoth(RECORDS[2]!, ctx)
  assert.equal(fast.offset, '9007199254741089')
  assert.notEqual(Object.getPrototypeOf(fast.headers), null, 'handed to kafkajs')
  assert.deepEqual(fast, kafkajs)
})

test('a record whose delta could pass what a number holds exactly is read by kafkajs', () => {
  const { kafkajs, fast } = readBoth(
    { offsetDelta: 1, timestampDelta: 2 ** 50, key: null, value: Buffer.from('v') },
    context(),
  )
  assert.notEqual(Object.getPrototypeOf(fast.headers), null, 'handed to kafkajs')
  assert.deepEqual(fast, kafkajs)
})

test('a record whose value runs past its end is left to kafkajs, whatever it makes of it', () => {
  const bytes = encodeRecord({
    offsetDelta: 1,
    timestampDelta: 2,
    key: null,
    value: Buffer.from('{"a":1}'),
  }).buffer
  const length = bytes[0]! >>> 1
  // The last 3 bytes gone: the header count and the value's last 2 bytes.
  const cut = () => new Decoder(bytes.subarray(1, 1 + length - 3))
  const fast = fastRecordDecoder(kafkajsDecoder)(cut(), context()) as KafkaMessage
  assert.equal(Object.getPrototypeOf(fast), Object.prototype, 'read by kafkajs, not a FetchedMessage')
  assert.deepEqual(fast, kafkajsDecoder(cut(), context()))
})
