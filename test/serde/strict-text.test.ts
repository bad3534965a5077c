import assert from 'node:assert/strict'
import { test } from 'node:test'
import { defineSchema } from '../../src/schema/types.ts'
import { avroSerde } from '../../src/serde/avro-serde.ts'
import { jsonSerde } from '../../src/serde/json-serde.ts'
import { memoryRegistry } from '../../src/serde/registry.ts'
import { duplicateKey, firstInvalidUtf8 } from '../../src/serde/strict-text.ts'

test('firstInvalidUtf8 points at the first byte that starts no valid character', () => {
  assert.equal(firstInvalidUtf8(Buffer.from('plain ascii é 😀')), -1)
  assert.equal(firstInvalidUtf8(Buffer.from([0x61, 0x62, 0xff, 0x63])), 2)
  assert.equal(firstInvalidUtf8(Buffer.from([0x61, 0xc3, 0x28])), 1)
  assert.equal(firstInvalidUtf8(Buffer.from([0xe2, 0x82])), 0)
})

test('duplicateKey finds a repeated key at any depth, after escapes, and not inside strings or arrays', () => {
  assert.equal(duplicateKey('{"a":1,"b":{"c":2,"d":[{"c":3}]}}'), null)
  assert.equal(duplicateKey('{"a":1,"a":2}'), '$: "a"')
  assert.equal(duplicateKey('{"a":{"x":1,"\\u0078":2}}'), '$.a: "x"')
  assert.equal(duplicateKey('{"s":"{\\"a\\":1,\\"a\\":2}","t":[1,{"k":1,"k":2}]}'), '$.t[]: "k"')
})

test('JSON: strict by default, opt-in replacement and last-wins', () => {
  const bad = Buffer.concat([Buffer.from('{"s":"a'), Buffer.from([0xff]), Buffer.from('"}')])
  assert.throws(
    () => jsonSerde().decode(bad, 'orders'),
    (e: { code?: string }) => e.code === 'INVALID_UTF8',
  )
  assert.equal(
    (jsonSerde({ invalidUtf8: 'replace' }).decode(bad, 'orders').value as { s: string }).s,
    'a\uFFFD',
  )
  const dup = Buffer.from('{"a":1,"a":2}')
  assert.throws(
    () => jsonSerde().decode(dup, 'orders'),
    (e: { code?: string }) => e.code === 'JSON_DUPLICATE_KEY',
  )
  assert.deepEqual(jsonSerde({ duplicateKeys: 'last' }).decode(dup, 'orders').value, { a: 2 })
})

test('Avro: a string field that is not UTF-8 is refused naming the field, nested ones too', async () => {
  const schema = defineSchema({
    type: 'record',
    name: 'S',
    fields: [
      { name: 'id', type: 'string' },
      { name: 'tags', type: { type: 'array', items: 'string' } },
      { name: 'note', type: ['null', 'string'], default: null },
    ],
  })
  const registry = memoryRegistry()
  const serde = avroSerde(schema, registry)
  const ok = await serde.encode({ id: 'id-1', tags: ['XX'], note: 'YY' } as never, 't')
  await serde.prepare([ok], 'orders')
  assert.deepEqual(
    { ...(serde.decode(ok, 'orders').value as object) },
    { id: 'id-1', tags: ['XX'], note: 'YY' },
  )
  for (const [marker, field] of [
    ['XX', 'tags[]'],
    ['YY', 'note'],
  ] as const) {
    const bad = Buffer.from(ok)
    bad[bad.indexOf(marker)] = 0xfe
    assert.throws(
      () => serde.decode(bad, 'orders'),
      (e: { code?: string; message: string }) =>
        e.code === 'INVALID_UTF8' && e.message.startsWith(`field ${field}: byte `),
    )
    const lenient = avroSerde(schema, registry, { invalidUtf8: 'replace' })
    await lenient.prepare([bad], 'orders')
    assert.ok(JSON.stringify(lenient.decode(bad, 'orders').value).includes('\uFFFD'))
  }
})
