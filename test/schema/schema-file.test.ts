import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'
import { orderSchema } from '../../schemas/orders.ts'
import { sensorReadingSchema } from '../../schemas/sensor-readings.ts'
import { printLiteral } from '../../src/schema/print.ts'
import { replaceSchemaLiteral, schemaLiteralRange, schemaModule } from '../../src/schema/schema-file.ts'
import type { RecordSchema } from '../../src/schema/types.ts'

const SCHEMAS = path.resolve(import.meta.dirname, '../../schemas')

test('each example schema file is unchanged by replacing its literal with its own schema', () => {
  for (const [file, schema] of [
    ['orders.ts', orderSchema],
    ['sensor-readings.ts', sensorReadingSchema],
  ] as const) {
    const text = readFileSync(path.join(SCHEMAS, file), 'utf8')
    assert.equal(replaceSchemaLiteral(text, JSON.parse(JSON.stringify(schema)), file), text, file)
  }
})

test('only the defineSchema argument changes; a value that fits stays on one line, one that does not breaks', () => {
  const text = [
    "import { defineSchema } from 'tributary'",
    '// defineSchema( in a comment does not count',
    "export const a = defineSchema({ type: 'record', name: 'A', fields: [] })",
    "export const helper = ') not the end'",
    '',
  ].join('\n')
  const schema: RecordSchema = { type: 'record', name: 'A', fields: [{ name: 'x', type: 'string' }] }
  assert.equal(
    replaceSchemaLiteral(text, schema, 'a.ts'),
    text.replace(
      "{ type: 'record', name: 'A', fields: [] }",
      "{ type: 'record', name: 'A', fields: [{ name: 'x', type: 'string' }] }",
    ),
  )
  const long = 'x'.repeat(120)
  assert.equal(
    printLiteral({ doc: long, symbols: ['a', 'b'] }, { indent: 2, column: 8, after: 1 }),
    `{\n    doc: '${long}',\n    symbols: ['a', 'b'],\n  }`,
  )
})

test('strings keep single quotes unless double ones save escapes; keys are quoted only when they must be', () => {
  assert.equal(printLiteral({ doc: "it's" }, { indent: 0, column: 0, after: 0 }), `{ doc: "it's" }`)
  assert.equal(printLiteral({ doc: 'say "hi"' }, { indent: 0, column: 0, after: 0 }), `{ doc: 'say "hi"' }`)
  assert.equal(
    printLiteral({ 'connect.name': 'a\\b' }, { indent: 0, column: 0, after: 0 }),
    `{ 'connect.name': 'a\\\\b' }`,
  )
})

test('a list of several multi-key records is broken even when it would fit', () => {
  assert.equal(
    printLiteral(
      [
        { a: 1, b: 2 },
        { a: 3, b: 4 },
      ],
      { indent: 0, column: 0, after: 0 },
    ),
    '[\n  { a: 1, b: 2 },\n  { a: 3, b: 4 },\n]',
  )
  assert.equal(printLiteral([{ a: 1 }, { a: 3 }], { indent: 0, column: 0, after: 0 }), '[{ a: 1 }, { a: 3 }]')
})

test('a new module exports the schema and its record type', () => {
  const text = schemaModule(
    { type: 'record', name: 'Reading', fields: [{ name: 'id', type: 'string' }] },
    'tributary',
  )
  assert.equal(
    text,
    [
      "import { defineSchema, type Infer } from 'tributary'",
      '',
      'export const readingSchema = defineSchema({',
      "  type: 'record',",
      "  name: 'Reading',",
      "  fields: [{ name: 'id', type: 'string' }],",
      '})',
      'export type Reading = Infer<typeof readingSchema>',
      '',
    ].join('\n'),
  )
})

test('a file with no or two defineSchema calls is refused, naming the fix', () => {
  assert.throws(() => schemaLiteralRange('export const a = 1\n', 'x.ts'), /x\.ts has 0 defineSchema.*--out/)
  assert.throws(
    () => schemaLiteralRange('defineSchema({})\ndefineSchema({})\n', 'x.ts'),
    /x\.ts has 2 defineSchema/,
  )
})
