import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { Features } from '../../../src/clickhouse/features.ts'
import { defineSchema, type Infer } from '../../../src/schema/types.ts'
import { columnType, recordFor, rowFor, schemaColumns } from '../../../src/sinks/clickhouse/types.ts'

type F = Pick<Features, 'dateTime64' | 'lowCardinality' | 'mapType'>
const v18: F = { dateTime64: false, lowCardinality: false, mapType: false }
const v26: F = { dateTime64: true, lowCardinality: true, mapType: true }

const status = { type: 'enum', name: 'S', symbols: ['A', 'B'] } as const
const ts = { type: 'long', logicalType: 'timestamp-millis' } as const
const dec = { type: 'bytes', logicalType: 'decimal', precision: 12, scale: 2 } as const

describe('columnType', () => {
  const cases: [string, Parameters<typeof columnType>[0], string, string][] = [
    ['string', 'string', 'String', 'String'],
    ['int', 'int', 'Int32', 'Int32'],
    ['long', 'long', 'Int64', 'Int64'],
    ['float', 'float', 'Float32', 'Float32'],
    ['double', 'double', 'Float64', 'Float64'],
    ['boolean', 'boolean', 'UInt8', 'UInt8'],
    ['bytes', 'bytes', 'String', 'String'],
    ['enum', status, 'String', 'LowCardinality(String)'],
    ['nullable enum', ['null', status], 'Nullable(String)', 'LowCardinality(Nullable(String))'],
    ['timestamp', ts, 'Int64', "DateTime64(3, 'UTC')"],
    ['nullable timestamp', ['null', ts], 'Nullable(Int64)', "Nullable(DateTime64(3, 'UTC'))"],
    ['date', { type: 'int', logicalType: 'date' }, 'Date', 'Date'],
    ['decimal', dec, 'Decimal(12, 2)', 'Decimal(12, 2)'],
    ['nullable decimal', ['null', dec], 'Nullable(Decimal(12, 2))', 'Nullable(Decimal(12, 2))'],
    ['array', { type: 'array', items: 'long' }, 'Array(Int64)', 'Array(Int64)'],
    [
      'array of nullable',
      { type: 'array', items: ['null', 'string'] },
      'Array(Nullable(String))',
      'Array(Nullable(String))',
    ],
    [
      'nullable array is not Nullable',
      ['null', { type: 'array', items: 'int' }],
      'Array(Int32)',
      'Array(Int32)',
    ],
    ['map', { type: 'map', values: 'double' }, 'String', 'Map(String, Float64)'],
    ['nullable map', ['null', { type: 'map', values: 'int' }], 'Nullable(String)', 'Map(String, Int32)'],
    [
      'map of nullable timestamps',
      { type: 'map', values: ['null', ts] },
      'String',
      "Map(String, Nullable(DateTime64(3, 'UTC')))",
    ],
  ]
  for (const [label, t, old, modern] of cases) {
    it(`${label}: ${old} on 18.16, ${modern} on 26`, () => {
      assert.equal(columnType(t, v18), old)
      assert.equal(columnType(t, v26), modern)
    })
  }
})

const schema = defineSchema({
  type: 'record',
  name: 'All',
  fields: [
    { name: 'b', type: 'boolean' },
    { name: 'raw', type: 'bytes' },
    { name: 'day', type: { type: 'int', logicalType: 'date' } },
    { name: 'at', type: ts },
    { name: 'amount', type: dec },
    { name: 'tags', type: { type: 'map', values: 'bytes' } },
    { name: 'maybe', type: ['null', 'boolean'] },
    { name: 'list', type: ['null', { type: 'array', items: 'boolean' }] },
    { name: 'name', type: 'string' },
  ],
})
type All = Infer<typeof schema>

const record: All = {
  b: true,
  raw: Buffer.from([0, 255, 1]),
  day: 19_724,
  at: 1_700_000_000_123,
  amount: 12.34,
  tags: { k: Buffer.from('hi') },
  maybe: null,
  list: null,
  name: 'n',
}

describe('rowFor', () => {
  it('converts each type to its JSONEachRow form on an engine without Map', () => {
    assert.deepEqual(rowFor<All>(schema, v18)(record), {
      b: 1,
      raw: 'AP8B',
      day: '2024-01-02',
      at: 1_700_000_000_123,
      amount: 12.34,
      tags: '{"k":"aGk="}',
      maybe: null,
      list: [],
      name: 'n',
    })
  })

  it('keeps maps as objects where Map exists', () => {
    assert.deepEqual(rowFor<All>(schema, v26)(record).tags, { k: 'aGk=' })
  })

  it('converts inside nullable and array values', () => {
    const row = rowFor<All>(schema, v26)({ ...record, maybe: false, list: [true, false] })
    assert.equal(row.maybe, 0)
    assert.deepEqual(row.list, [1, 0])
  })
})

describe('recordFor', () => {
  it('reads back what each engine renders', () => {
    const fromV18 = recordFor<All>(
      schema,
      v18,
    )({
      b: 1,
      raw: 'AP8B',
      day: '0000-00-00',
      at: '1700000000123',
      amount: 12.34,
      tags: '{"k":"aGk="}',
      maybe: 0,
      list: [1],
      name: 'n',
    })
    assert.deepEqual(fromV18, { ...record, day: 0, maybe: false, list: [true] })
    const fromV26 = recordFor<All>(
      schema,
      v26,
    )({
      b: 1,
      raw: 'AP8B',
      day: '2024-01-02',
      at: '2023-11-14 22:13:20.123',
      amount: 12.34,
      tags: { k: 'aGk=' },
      maybe: null,
      list: [],
      name: 'n',
    })
    assert.deepEqual(fromV26, { ...record, list: [] })
  })
})

describe('schemaColumns', () => {
  it('keeps field order', () => {
    assert.deepEqual(
      schemaColumns(schema, v26).map((c) => c.name),
      schema.fields.map((f) => f.name),
    )
  })

  it('puts a readable DateTime ALIAS beside a timestamp stored as epoch ms, and only there', () => {
    const readable = schemaColumns(schema, v18).filter((c) => c.alias !== undefined)
    assert.deepEqual(readable, [
      { name: 'at_utc', type: "DateTime('UTC')", alias: "toDateTime(intDiv(`at`, 1000), 'UTC')" },
    ])
    assert.deepEqual(
      schemaColumns(schema, v26).filter((c) => c.alias !== undefined),
      [],
    )
  })
})
