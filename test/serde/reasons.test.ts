import assert from 'node:assert/strict'
import { test } from 'node:test'
import { orderSchema, sampleOrder } from '../../schemas/orders.ts'
import { DecodeError } from '../../src/errors/tributary-error.ts'
import { avroSerde } from '../../src/serde/avro-serde.ts'
import { jsonSerde } from '../../src/serde/json-serde.ts'
import { memoryRegistry } from '../../src/serde/registry.ts'

const JS_INTERNALS = /Cannot read properties|undefined|is not a function|\uFEFF|RangeError|TypeError/

function reasonOf(fn: () => unknown): { code: string; message: string } {
  try {
    fn()
  } catch (err) {
    assert.ok(err instanceof DecodeError, String(err))
    return { code: err.code, message: err.message }
  }
  assert.fail('expected a DecodeError')
}

test('truncated or garbage Avro names the field and the byte where decoding stopped, in words', async () => {
  const serde = avroSerde(orderSchema, memoryRegistry())
  const ok = await serde.encode(sampleOrder(1), 'orders')
  await serde.prepare([ok], 'orders')
  const truncated = reasonOf(() => serde.decode(ok.subarray(0, 13), 'orders'))
  assert.equal(truncated.code, 'AVRO_DECODE_FAILED')
  assert.doesNotMatch(truncated.message, JS_INTERNALS)
  assert.match(truncated.message, /field customer_id .*byte \d+.*ends/)
  const garbage = Buffer.concat([
    ok.subarray(0, 5),
    Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]),
  ])
  const g = reasonOf(() => serde.decode(garbage, 'orders'))
  assert.doesNotMatch(g.message, JS_INTERNALS)
  assert.match(g.message, /field order_id .*byte 0/)
  const trailing = reasonOf(() => serde.decode(Buffer.concat([ok, Buffer.from('xx')]), 'orders'))
  assert.match(trailing.message, /2 bytes left over after the record/)
})

test('a JSON payload starting with a byte order mark says so without embedding the invisible character', () => {
  const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"a":1}')])
  const r = reasonOf(() => jsonSerde().decode(bom, 'orders'))
  assert.equal(r.code, 'JSON_PARSE_FAILED')
  assert.doesNotMatch(r.message, JS_INTERNALS)
  assert.match(r.message, /byte order mark \(EF BB BF\)/)
})

test('wire-format and empty-payload reasons say what was found', async () => {
  const serde = avroSerde(orderSchema, memoryRegistry())
  assert.match(
    reasonOf(() => serde.decode(Buffer.from('\u0001garbage'), 'orders')).message,
    /first byte is 0x01/,
  )
  assert.match(reasonOf(() => serde.decode(null, 'orders')).message, /tombstone/)
  assert.match(reasonOf(() => serde.decode(Buffer.alloc(0), 'orders')).message, /0 bytes/)
})
