/**
 * What a silver column can really hold, checked before the insert. ClickHouse refuses some values
 * (a decimal with more digits than its type), which would fail the whole block, and silently
 * changes others: 18.16 stores a Date past 2105-12-31 as 0000-00-00 and wraps an Int32 overflow,
 * chDB clamps a Date past 2149-06-06. A value that does not fit is quarantined with a reason instead.
 */

import type { Features } from '../../clickhouse/features.ts'
import type { Violation } from '../../schema/conform.ts'
import { type FieldType, isNullable, type RecordSchema } from '../../schema/types.ts'

/** Every value of a record that its column cannot hold; empty when the record fits. */
export type ColumnCheck = (record: unknown) => Violation[]

type Check = (v: unknown, path: string, out: Violation[]) => void

const DAY_MS = 86_400_000
/** The last day each engine's Date keeps: 18.16's date tables end at 2105, UInt16 days at 2149-06-06. */
const LAST_DATE_DAY_1816 = Date.UTC(2105, 11, 31) / DAY_MS
const LAST_DATE_DAY = 65_535
/** DateTime64's documented range; Int64 epoch milliseconds (18.16) hold any safe integer. */
const FIRST_DATETIME64_MS = Date.UTC(1900, 0, 1)
const LAST_DATETIME64_MS = Date.UTC(2299, 11, 31, 23, 59, 59, 999)

function push(out: Violation[], field: string, rule: string, message: string): void {
  out.push({ field, rule: `${field}.${rule}`, message })
}

/** Digits before and after the decimal point of a number as JSON writes it (shortest round-trip form). */
export function decimalDigits(n: number): { before: number; after: number } {
  const m = /^(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(Math.abs(n).toString())
  if (!m) return { before: Number.POSITIVE_INFINITY, after: 0 }
  let digits = `${m[1]}${m[2] ?? ''}`
  let point = m[1]!.length + Number(m[3] ?? 0)
  const lead = digits.length - digits.replace(/^0+/, '').length
  digits = digits.slice(lead)
  point -= lead
  digits = digits.replace(/0+$/, '')
  return { before: Math.max(0, point), after: Math.max(0, digits.length - point) }
}

function checkFor(t: FieldType, f: Pick<Features, 'dateTime64'>): Check | undefined {
  if (isNullable(t)) {
    const inner = checkFor(t[1], f)
    return inner && ((v, p, o) => (v == null ? undefined : inner(v, p, o)))
  }
  if (typeof t === 'string') {
    if (t === 'int')
      return (v, p, o) => {
        if (!Number.isInteger(v) || (v as number) < -(2 ** 31) || (v as number) >= 2 ** 31)
          push(o, p, 'capacity', `${p}: ${v} does not fit Int32 (-2147483648 to 2147483647)`)
      }
    if (t === 'long')
      return (v, p, o) => {
        if (!Number.isSafeInteger(v))
          push(o, p, 'capacity', `${p}: ${v} is not an integer Int64 can hold exactly (at most 2^53 - 1)`)
      }
    return undefined
  }
  if (Array.isArray(t)) return undefined
  const c = t as Exclude<FieldType, string | readonly unknown[]>
  switch (c.type) {
    case 'array': {
      const item = checkFor(c.items, f)
      return (
        item &&
        ((v, p, o) => {
          for (const [i, x] of (v as unknown[]).entries()) item(x, `${p}[${i}]`, o)
        })
      )
    }
    case 'map': {
      const value = checkFor(c.values, f)
      return (
        value &&
        ((v, p, o) => {
          for (const [k, x] of Object.entries(v as object)) value(x, `${p}.${k}`, o)
        })
      )
    }
    case 'bytes': {
      const { precision, scale } = c
      return (v, p, o) => {
        const n = v as number
        const type = `decimal(${precision}, ${scale})`
        if (!Number.isFinite(n)) return push(o, p, 'capacity', `${p}: ${n} is not a number ${type} can hold`)
        const { before, after } = decimalDigits(n)
        if (before > precision - scale)
          push(
            o,
            p,
            'capacity',
            `${p}: ${n} has ${before} digits before the point; ${type} holds at most ${precision - scale} digits before the point`,
          )
        if (after > scale)
          push(
            o,
            p,
            'capacity',
            `${p}: ${n} has ${after} digits after the point; ${type} holds ${scale} digits after the point (declare a rounding transform to round it)`,
          )
      }
    }
    case 'int': {
      const last = f.dateTime64 ? LAST_DATE_DAY : LAST_DATE_DAY_1816
      return (v, p, o) => {
        const d = v as number
        if (!Number.isInteger(d) || d < 0 || d > last)
          push(
            o,
            p,
            'capacity',
            `${p}: day ${d} is outside the Date range of this ClickHouse (1970-01-01 to ${new Date(last * DAY_MS).toISOString().slice(0, 10)})`,
          )
      }
    }
    case 'long': {
      if (!f.dateTime64) return undefined
      return (v, p, o) => {
        const ms = v as number
        if (!(ms >= FIRST_DATETIME64_MS && ms <= LAST_DATETIME64_MS))
          push(
            o,
            p,
            'capacity',
            `${p}: timestamp ${ms} is outside DateTime64's range (1900-01-01 to 2299-12-31)`,
          )
      }
    }
  }
  return undefined
}

/** Checks decided once per schema and server; fields that any value fits cost nothing per record. */
export function columnCheck(schema: RecordSchema, f: Pick<Features, 'dateTime64'>): ColumnCheck {
  const checks = schema.fields.flatMap((field) => {
    const check = checkFor(field.type, f)
    return check ? [[field.name, check] as const] : []
  })
  return (record) => {
    const out: Violation[] = []
    const r = record as Record<string, unknown>
    for (const [name, check] of checks) check(r[name], name, out)
    return out
  }
}
