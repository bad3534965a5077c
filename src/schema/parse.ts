/**
 * A schema that arrives as JSON (from the registry) checked against what `RecordSchema` can say, so a
 * pulled schema types the topology exactly as a hand-written one would. Attributes Tributary does not
 * read (`aliases`, `connect.name`, ...) are kept as they are: the pulled file stays the registry's
 * schema, not a lossy copy of it.
 */
import type { FieldType, RecordSchema } from './types.ts'

const PRIMITIVES = new Set(['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string'])

export class UnsupportedSchemaError extends TypeError {}

/** `where` names the schema in the message (e.g. the subject and version). */
export function parseRecordSchema(json: unknown, where: string): RecordSchema {
  const s = json as Record<string, unknown>
  if (!isObject(s) || s.type !== 'record')
    fail(where, '', 'is not an Avro record schema', 'pull a subject whose schema is a record')
  if (typeof s.name !== 'string') fail(where, '', 'has no record name', 'give the record a name')
  if (!Array.isArray(s.fields)) fail(where, '', 'has no fields array', 'give the record its fields')
  for (const [i, f] of (s.fields as unknown[]).entries()) {
    if (!isObject(f) || typeof f.name !== 'string')
      fail(where, `fields[${i}]`, 'has no name', 'name every field')
    checkType((f as { type: unknown }).type, where, f.name as string)
  }
  return s as unknown as RecordSchema
}

function checkType(t: unknown, where: string, path: string): asserts t is FieldType {
  if (typeof t === 'string') {
    if (PRIMITIVES.has(t)) return
    fail(where, path, `has type ${JSON.stringify(t)}, a named type reference`, 'inline the type')
  }
  if (Array.isArray(t)) {
    if (t.length === 2 && t[0] === 'null') return checkType(t[1], where, path)
    fail(
      where,
      path,
      `is the union ${JSON.stringify(t)}`,
      "Tributary reads only ['null', T] unions (null first, one other type)",
    )
  }
  if (!isObject(t)) fail(where, path, `has type ${JSON.stringify(t)}`, 'use an Avro type')
  const o = t as Record<string, unknown>
  if (o.type === 'long' && o.logicalType === 'timestamp-millis') return
  if (o.type === 'int' && o.logicalType === 'date') return
  if (o.type === 'bytes' && o.logicalType === 'decimal') {
    if (Number.isInteger(o.precision) && Number.isInteger(o.scale)) return
    fail(where, path, 'is a decimal without integer precision and scale', 'give both')
  }
  if (o.type === 'enum' && typeof o.name === 'string' && Array.isArray(o.symbols)) return
  if (o.type === 'array') return checkType(o.items, where, `${path}[]`)
  if (o.type === 'map') return checkType(o.values, where, `${path}{}`)
  fail(
    where,
    path,
    `has type ${JSON.stringify(t)}`,
    'Tributary maps primitives, timestamp-millis, date, decimal bytes, enum, array, map and [null, T]',
  )
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function fail(where: string, path: string, problem: string, fix: string): never {
  throw new UnsupportedSchemaError(`${where}${path ? ` field ${path}` : ''} ${problem}; ${fix}`)
}
