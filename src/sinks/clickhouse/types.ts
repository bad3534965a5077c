/**
 * Schema types to ClickHouse column types, and record values to what a JSONEachRow insert accepts,
 * per engine. Choices that keep schema evolution free of DDL: enums are strings (a new symbol is not
 * an ALTER), bytes are base64 text.
 *
 * Where the engine lacks a type, the stand-in is lossless:
 * - timestamp-millis without DateTime64 (18.16): Int64 epoch milliseconds. Both column types accept
 *   the same insert value (an integer of epoch ms), so writers need not care which one a table has.
 * - map without a usable Map type: String holding the JSON object.
 * ClickHouse cannot make an Array or a Map Nullable, so a nullable array/map stores null as empty;
 * that one case does not round-trip (null reads back as [] / {}).
 */

import type { Features } from '../../clickhouse/features.ts'
import { quoteIdent } from '../../clickhouse/identifiers.ts'
import { type FieldType, isNullable, type RecordSchema } from '../../schema/types.ts'

export interface Column {
  readonly name: string
  readonly type: string
  /** Makes it an ALIAS column: computed from this expression on read, never stored or inserted. */
  readonly alias?: string
}

/** What column types depend on. */
export type TypeFeatures = Pick<Features, 'dateTime64' | 'lowCardinality' | 'mapType'>

export function timestampType(f: TypeFeatures): string {
  return f.dateTime64 ? "DateTime64(3, 'UTC')" : 'Int64'
}

/**
 * Beside an epoch-ms column (an engine without DateTime64): `<name>_utc`, the same instant as a
 * DateTime computed on read, so a person sees a date; the exact milliseconds stay in the column.
 */
export function readableTime(name: string, f: TypeFeatures, nullable = false): Column[] {
  if (f.dateTime64) return []
  return [
    {
      name: `${name}_utc`,
      type: nullable ? "Nullable(DateTime('UTC'))" : "DateTime('UTC')",
      alias: `toDateTime(intDiv(${quoteIdent(name)}, 1000), 'UTC')`,
    },
  ]
}

/** The column type of one field; written the way `system.columns` spells it, so they compare. */
export function columnType(t: FieldType, f: TypeFeatures): string {
  if (isNullable(t)) {
    const inner = t[1]
    if (isNullable(inner)) return columnType(inner, f)
    const innerType = columnType(inner, f)
    if (!canBeNullable(innerType)) return innerType
    if (innerType.startsWith('LowCardinality(')) return `LowCardinality(Nullable(${innerType.slice(15, -1)}))`
    return `Nullable(${innerType})`
  }
  if (typeof t === 'string') {
    switch (t) {
      case 'string':
      case 'bytes':
        return 'String'
      case 'int':
        return 'Int32'
      case 'long':
        return 'Int64'
      case 'float':
        return 'Float32'
      case 'double':
        return 'Float64'
      case 'boolean':
        return 'UInt8'
      case 'null':
        return 'Nullable(Nothing)'
    }
  }
  if (Array.isArray(t))
    throw new TypeError(`unsupported union ${JSON.stringify(t)}: only ['null', T] is supported`)
  const c = t as Exclude<FieldType, string | readonly unknown[]>
  switch (c.type) {
    case 'enum':
      return f.lowCardinality ? 'LowCardinality(String)' : 'String'
    case 'array':
      return `Array(${columnType(c.items, f)})`
    case 'map':
      return f.mapType ? `Map(String, ${columnType(c.values, f)})` : 'String'
    case 'long':
      return timestampType(f)
    case 'int':
      return 'Date'
    case 'bytes':
      return `Decimal(${c.precision}, ${c.scale})`
  }
  throw new TypeError(`unsupported field type ${JSON.stringify(t)}`)
}

function canBeNullable(type: string): boolean {
  return !/^(Array|Map|Tuple|Nullable|LowCardinality\(Nullable)\(/.test(type)
}

export function schemaColumns(schema: RecordSchema, f: TypeFeatures): Column[] {
  return schema.fields.flatMap((field) => {
    const nullable = isNullable(field.type)
    const t = nullable ? (field.type as readonly [unknown, FieldType])[1] : field.type
    const timestamp = typeof t === 'object' && !Array.isArray(t) && (t as { type: string }).type === 'long'
    return [
      { name: field.name, type: columnType(field.type, f) },
      ...(timestamp ? readableTime(field.name, f, nullable) : []),
    ]
  })
}

type Convert = (v: unknown) => unknown
/** `undefined` means "the value is already what JSONEachRow takes": the common case, skipped per row. */
type MaybeConvert = Convert | undefined

/** The JSON form of a value; a map on an engine without Map is its JSON text (tsv-values.ts uses it). */
export function writerFor(t: FieldType, f: TypeFeatures): MaybeConvert {
  if (isNullable(t)) {
    if (isNullable(t[1])) return writerFor(t[1], f)
    const innerType = columnType(t[1], f)
    const inner = writerFor(t[1], f)
    if (!canBeNullable(innerType)) {
      const empty = innerType.startsWith('Map(') ? () => ({}) : () => []
      return (v) => (v == null ? empty() : inner ? inner(v) : v)
    }
    return inner && ((v) => (v == null ? null : inner(v)))
  }
  if (typeof t === 'string') {
    if (t === 'boolean') return (v) => (v ? 1 : 0)
    if (t === 'bytes') return (v) => (v as Buffer).toString('base64')
    return undefined
  }
  if (Array.isArray(t)) return undefined
  const c = t as Exclude<FieldType, string | readonly unknown[]>
  switch (c.type) {
    case 'array': {
      const item = writerFor(c.items, f)
      return item && ((v) => (v as unknown[]).map(item))
    }
    case 'map': {
      const value = writerFor(c.values, f)
      const mapped: Convert = value ? (v) => mapValues(v as Record<string, unknown>, value) : (v) => v
      return f.mapType ? value && mapped : (v) => JSON.stringify(mapped(v))
    }
    case 'int':
      return (v) => daysToDate(v as number)
    default:
      // timestamp: epoch-ms integers are accepted by both Int64 and DateTime64(3); decimal: JSON
      // numbers are parsed as exact decimal text on both engines (quoted decimals are not, on 18.16).
      return undefined
  }
}

function mapValues(m: Record<string, unknown>, convert: Convert): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const k in m) out[k] = convert(m[k])
  return out
}

export function daysToDate(days: number): string {
  return new Date(days * 86_400_000).toISOString().slice(0, 10)
}

/**
 * A converter from a record (as `Infer<S>` types it) to a JSONEachRow row object. Per-field work is
 * decided here once; fields that need none are copied as they are.
 */
export function rowFor<R extends object>(
  schema: RecordSchema,
  f: TypeFeatures,
): (record: R) => Record<string, unknown> {
  const names = schema.fields.map((field) => field.name)
  const converters = schema.fields.map((field) => writerFor(field.type, f))
  const n = names.length
  return (record) => {
    const src = record as Record<string, unknown>
    const row: Record<string, unknown> = {}
    for (let i = 0; i < n; i++) {
      const name = names[i]!
      const convert = converters[i]
      const v = src[name]
      row[name] = convert ? convert(v) : v
    }
    return row
  }
}

function readerFor(t: FieldType, f: TypeFeatures): Convert {
  if (isNullable(t)) {
    const inner = readerFor(t[1], f)
    return (v) => (v == null ? null : inner(v))
  }
  if (typeof t === 'string') {
    switch (t) {
      case 'long':
        return Number
      case 'boolean':
        return (v) => v === 1 || v === true || v === '1'
      case 'bytes':
        return (v) => Buffer.from(v as string, 'base64')
      default:
        return (v) => v
    }
  }
  if (Array.isArray(t)) return (v) => v
  const c = t as Exclude<FieldType, string | readonly unknown[]>
  switch (c.type) {
    case 'array': {
      const item = readerFor(c.items, f)
      return (v) => (v as unknown[]).map(item)
    }
    case 'map': {
      const value = readerFor(c.values, f)
      const obj: Convert = (v) => mapValues(v as Record<string, unknown>, value)
      return f.mapType ? obj : (v) => obj(JSON.parse(v as string))
    }
    case 'long':
      return readTimestamp
    case 'int':
      return readDate
    case 'bytes':
      return Number
    default:
      return (v) => v
  }
}

/** DateTime64 renders as "YYYY-MM-DD hh:mm:ss.fff" (UTC column); Int64 millis as a quoted integer. */
export function readTimestamp(v: unknown): number {
  if (typeof v === 'number') return v
  const s = v as string
  return /^-?\d+$/.test(s) ? Number(s) : Date.parse(`${s.replace(' ', 'T')}Z`)
}

/** 18.16 renders day 0 as "0000-00-00" rather than "1970-01-01". */
function readDate(v: unknown): number {
  const s = v as string
  return s === '0000-00-00' ? 0 : Date.parse(`${s}T00:00:00Z`) / 86_400_000
}

/** The inverse of `rowFor`, from a JSONEachRow result row: for exports, checks and tests. */
export function recordFor<R extends object>(
  schema: RecordSchema,
  f: TypeFeatures,
): (row: Record<string, unknown>) => R {
  const names = schema.fields.map((field) => field.name)
  const readers = schema.fields.map((field) => readerFor(field.type, f))
  return (row) => {
    const out: Record<string, unknown> = {}
    for (let i = 0; i < names.length; i++) out[names[i]!] = readers[i]!(row[names[i]!])
    return out as R
  }
}
