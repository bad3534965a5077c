/**
 * Record values to TabSeparated fields, generated once per schema: a silver row is written as text
 * straight from the decoded record, with no row object, no JSON.stringify and no re-slicing, and
 * ClickHouse parses positional fields more cheaply than JSON objects (the bench profile's silver
 * line builder and its garbage were the largest single cost of the full pipeline).
 *
 * The column types are those of `columnType` (types.ts), and every value reads back through
 * `recordFor` exactly as the JSONEachRow rows did (test/sinks/clickhouse/roundtrip.int.test.ts).
 * A top-level field is TSV-escaped text; values inside arrays and maps are literals (strings quoted,
 * NULL), the form ClickHouse reads composite fields in, on 18.16 and 26 alike.
 */
import { type FieldType, isNullable, type RecordSchema } from '../../schema/types.ts'
import { TSV_NULL, tsvQuoted, tsvText } from './tab-separated.ts'
import { columnType, daysToDate, type TypeFeatures, writerFor } from './types.ts'

type Write = (v: unknown) => string

/**
 * A record's fields as one TSV row's text, in schema order and ending with a tab, so the caller
 * appends its own columns (lineage) after it. The columns are `schema.fields`' names.
 */
export function tsvFieldsFor<R extends object>(schema: RecordSchema, f: TypeFeatures): (record: R) => string {
  const writers = schema.fields.map((field) => writer(field.type, f, false))
  // Generated for the schema, as avsc generates its readers: a loop over the fields read each one
  // with a key that changed every time and called a different writer from one call site, both
  // slow paths in V8 (a property read through a cache, a call that cannot be inlined). Here every
  // field is read by its name and written by its own writer. Names are quoted as JSON: any
  // string is a safe property key in the generated source.
  const params = writers.map((_, i) => `w${i}`)
  const row = schema.fields.map((field, i) => `w${i}(r[${JSON.stringify(field.name)}]) + '\\t'`)
  const make = new Function(...params, `return (r) => ${row.length > 0 ? row.join(' + ') : "''"}`)
  return make(...writers) as (record: R) => string
}

/** A value as TSV text (top level) or as a literal (`literal`: inside an array or map). */
function writer(t: FieldType, f: TypeFeatures, literal: boolean): Write {
  if (isNullable(t)) {
    if (isNullable(t[1])) return writer(t[1], f, literal)
    const inner = writer(t[1], f, literal)
    const innerType = columnType(t[1], f)
    // ClickHouse has no Nullable(Array) or Nullable(Map): a null one is stored empty.
    if (innerType.startsWith('Array(')) return (v) => (v == null ? '[]' : inner(v))
    if (innerType.startsWith('Map(')) return (v) => (v == null ? '{}' : inner(v))
    const nul = literal ? 'NULL' : TSV_NULL
    return (v) => (v == null ? nul : inner(v))
  }
  const text = literal ? tsvQuoted : tsvText
  if (typeof t === 'string') {
    switch (t) {
      case 'string':
        return (v) => text(v as string)
      case 'bytes':
        return literal
          ? (v) => `'${(v as Buffer).toString('base64')}'`
          : (v) => (v as Buffer).toString('base64')
      case 'boolean':
        return (v) => (v ? '1' : '0')
      case 'float':
      case 'double':
        return (v) => number(v as number)
      case 'long':
        return integerPrinter() as Write
      default:
        return (v) => String(v)
    }
  }
  const c = t as Exclude<FieldType, string | readonly unknown[]>
  switch (c.type) {
    case 'enum':
      return (v) => text(v as string)
    case 'array': {
      const item = writer(c.items, f, true)
      return (v) => {
        const items = v as unknown[]
        let out = '['
        for (let i = 0; i < items.length; i++) out += i === 0 ? item(items[i]) : `,${item(items[i])}`
        return `${out}]`
      }
    }
    case 'map': {
      if (!f.mapType) {
        const json = writerFor(c, f)!
        return (v) => text(json(v) as string)
      }
      const value = writer(c.values, f, true)
      return (v) => {
        const m = v as Record<string, unknown>
        let out = '{'
        for (const k in m) out += `${out.length > 1 ? ',' : ''}${tsvQuoted(k)}:${value(m[k])}`
        return `${out}}`
      }
    }
    case 'long': {
      if (!f.dateTime64) return integerPrinter() as Write
      return literal ? (v) => `'${dateTime64(v as number)}'` : (v) => dateTime64(v as number)
    }
    case 'int':
      return literal ? (v) => `'${daysToDate(v as number)}'` : (v) => daysToDate(v as number)
    case 'bytes':
      // Decimal: number text is parsed exactly on both engines.
      return (v) => String(v)
  }
  throw new TypeError(`unsupported field type ${JSON.stringify(t)}`)
}

/** Whole hundredths below this are written from integers; beyond it, by String. */
const CENTS_LIMIT = 2 ** 31

/**
 * A float as ClickHouse reads it back to the same double. Amounts with at most two decimals (money,
 * the usual float column) are written from integers, three times cheaper than String's shortest
 * round-trip digits, and the same text: below 2^31 hundredths, no shorter decimal lies within the
 * double's precision of n, so String(n) gives these digits too (tested against String).
 */
export function number(n: number): string {
  const cents = Math.round(n * 100)
  if (cents / 100 === n && cents < CENTS_LIMIT && cents > -CENTS_LIMIT) {
    const abs = cents < 0 ? -cents : cents
    const whole = (abs / 100) | 0
    const f = abs - whole * 100
    const text =
      f === 0 ? String(whole) : f % 10 === 0 ? `${whole}.${f / 10}` : `${whole}.${f < 10 ? '0' : ''}${f}`
    return cents < 0 ? `-${text}` : text
  }
  if (Number.isFinite(n)) return String(n)
  return Number.isNaN(n) ? 'nan' : n > 0 ? 'inf' : '-inf'
}

/** Integers split at a million: both halves are small integers, which V8 prints fast. */
const MILLION = 1_000_000
const ZEROS = ['', '0', '00', '000', '0000', '00000']

/**
 * A printer of integers, `String(n)` ~3x faster for the non-negative integers beyond 2^31 that
 * epoch milliseconds are: V8 prints those through its general double-to-text routine (~70-100 ns
 * each, and a record has two: its Kafka timestamp and its event time). The digits above the last
 * six change every ~17 minutes of epoch milliseconds, so the printer keeps their text: one printer
 * per kind of value (the two timestamps of a record can be far apart, and would take turns).
 */
export function integerPrinter(): (n: number) => string {
  let lastHigh = -1
  let lastHighText = ''
  return (n) => {
    if (!(n >= MILLION && n <= Number.MAX_SAFE_INTEGER && Number.isInteger(n))) return String(n)
    const high = Math.floor(n / MILLION)
    if (high !== lastHigh) {
      lastHigh = high
      lastHighText = String(high)
    }
    const low = String(n - high * MILLION)
    return `${lastHighText}${ZEROS[6 - low.length]}${low}`
  }
}

// Events of one batch mostly share their day: its text is kept and only the time is formatted.
let lastDay = Number.NaN
let lastDayText = ''

/**
 * `YYYY-MM-DD hh:mm:ss.fff` in UTC. DateTime64 would also take epoch seconds with a fraction at the
 * top level, but not inside an array or map, nor before 1970 (checked on chDB 26): one form for all.
 */
function dateTime64(ms: number): string {
  const day = Math.floor(ms / 86_400_000)
  if (day !== lastDay) {
    lastDay = day
    lastDayText = daysToDate(day)
  }
  let rest = ms - day * 86_400_000
  const h = Math.floor(rest / 3_600_000)
  rest -= h * 3_600_000
  const m = Math.floor(rest / 60_000)
  rest -= m * 60_000
  const s = Math.floor(rest / 1000)
  const fraction = rest - s * 1000
  return `${lastDayText} ${pad2(h)}:${pad2(m)}:${pad2(s)}.${fraction < 10 ? '00' : fraction < 100 ? '0' : ''}${fraction}`
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n)
}
