import { type FieldType, isNullable, type RecordSchema } from './types.ts'

export interface Violation {
  readonly field: string
  /** `schema.required`, `schema.type`: the rule names that quarantine rows and metrics carry. */
  readonly rule: string
  readonly message: string
}

export type Conformed<T> = { ok: true; value: T } | { ok: false; violations: Violation[] }

type Check = (v: unknown, path: string, out: Violation[]) => unknown

function typeName(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'array'
  return typeof v
}

function wrong(path: string, expected: string, v: unknown, out: Violation[]): undefined {
  out.push({ field: path, rule: 'schema.type', message: `${path}: expected ${expected}, got ${typeName(v)}` })
  return undefined
}

const INT_MIN = -(2 ** 31)
const INT_MAX = 2 ** 31 - 1

function checkFor(t: FieldType): Check {
  if (isNullable(t)) {
    const inner = checkFor(t[1])
    return (v, path, out) => (v === null || v === undefined ? null : inner(v, path, out))
  }
  if (typeof t === 'string') {
    switch (t) {
      case 'null':
        return (v, p, o) => (v === null ? null : wrong(p, 'null', v, o))
      case 'boolean':
        return (v, p, o) => (typeof v === 'boolean' ? v : wrong(p, 'boolean', v, o))
      case 'int':
        return (v, p, o) =>
          typeof v === 'number' && Number.isInteger(v) && v >= INT_MIN && v <= INT_MAX
            ? v
            : wrong(p, 'int', v, o)
      case 'long':
        return (v, p, o) => (typeof v === 'number' && Number.isSafeInteger(v) ? v : wrong(p, 'long', v, o))
      case 'float':
      case 'double':
        return (v, p, o) => (typeof v === 'number' && Number.isFinite(v) ? v : wrong(p, t, v, o))
      case 'string':
        return (v, p, o) => (typeof v === 'string' ? v : wrong(p, 'string', v, o))
      case 'bytes':
        return (v, p, o) =>
          typeof v === 'string' ? Buffer.from(v, 'base64') : wrong(p, 'bytes (base64 string)', v, o)
    }
  }
  if (typeof t !== 'object' || Array.isArray(t))
    throw new Error(`unsupported schema type ${JSON.stringify(t)}`)
  if ('logicalType' in t) {
    switch (t.logicalType) {
      case 'timestamp-millis':
        return (v, p, o) => {
          if (typeof v === 'number' && Number.isSafeInteger(v)) return v
          if (typeof v === 'string') {
            const ms = Date.parse(v)
            if (!Number.isNaN(ms)) return ms
          }
          return wrong(p, 'timestamp (epoch ms or ISO-8601)', v, o)
        }
      case 'date':
        return (v, p, o) =>
          typeof v === 'number' && Number.isInteger(v) ? v : wrong(p, 'date (days since epoch)', v, o)
      case 'decimal': {
        const limit = 10 ** (t.precision - t.scale)
        return (v, p, o) => {
          const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v
          if (typeof n !== 'number' || !Number.isFinite(n))
            return wrong(p, `decimal(${t.precision},${t.scale})`, v, o)
          if (Math.abs(n) >= limit) {
            o.push({
              field: p,
              rule: 'schema.type',
              message: `${p}: ${n} does not fit decimal(${t.precision},${t.scale})`,
            })
            return undefined
          }
          return n
        }
      }
    }
  }
  switch (t.type) {
    case 'enum': {
      const symbols = new Set<string>(t.symbols)
      return (v, p, o) =>
        typeof v === 'string' && symbols.has(v) ? v : wrong(p, `one of ${t.symbols.join('|')}`, v, o)
    }
    case 'array': {
      const item = checkFor(t.items)
      return (v, p, o) =>
        Array.isArray(v) ? v.map((x, i) => item(x, `${p}[${i}]`, o)) : wrong(p, 'array', v, o)
    }
    case 'map': {
      const value = checkFor(t.values)
      return (v, p, o) => {
        if (typeof v !== 'object' || v === null || Array.isArray(v)) return wrong(p, 'map (object)', v, o)
        const res: Record<string, unknown> = {}
        for (const [k, x] of Object.entries(v)) res[k] = value(x, `${p}.${k}`, o)
        return res
      }
    }
  }
  throw new Error(`unsupported schema type ${JSON.stringify(t)}`)
}

/**
 * Builds, once per schema, a function that checks a parsed JSON value against the schema and
 * converts it to the record type (timestamps to epoch ms, bytes from base64). Every violation is
 * collected, not just the first, so a quarantined record says everything that was wrong with it.
 */
export function conformer<T>(schema: RecordSchema): (input: unknown) => Conformed<T> {
  const fields = schema.fields.map((f) => ({
    name: f.name,
    check: checkFor(f.type),
    optional: isNullable(f.type) || f.default !== undefined,
    fallback: f.default ?? null,
  }))
  return (input) => {
    if (typeof input !== 'object' || input === null || Array.isArray(input)) {
      return {
        ok: false,
        violations: [
          { field: '$', rule: 'schema.type', message: `expected a JSON object, got ${typeName(input)}` },
        ],
      }
    }
    const src = input as Record<string, unknown>
    const out: Record<string, unknown> = {}
    const violations: Violation[] = []
    for (const f of fields) {
      const v = src[f.name]
      if (v === undefined) {
        if (f.optional) out[f.name] = f.fallback
        else
          violations.push({
            field: f.name,
            rule: 'schema.required',
            message: `${f.name}: required field is missing`,
          })
        continue
      }
      out[f.name] = f.check(v, f.name, violations)
    }
    return violations.length === 0 ? { ok: true, value: out as T } : { ok: false, violations }
  }
}
