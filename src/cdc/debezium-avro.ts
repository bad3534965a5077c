/**
 * Debezium's Avro envelope. The connector names its records after the topic
 * (`<prefix>.<schema>.<table>.Envelope`, `….Value`) and Avro resolves records by name, so the
 * reader schema for a change is made from its writer schema: the writer's envelope with the
 * topology's row schema (renamed to the writer's `Value`) as `before` and `after`. A newer row
 * schema then reads older changes the way it reads older plain records.
 */
import { fullName, type RecordSchema } from '../schema/types.ts'

interface AvroRecord {
  readonly type: 'record'
  readonly name: string
  readonly namespace?: string
  readonly fields: readonly { readonly name: string; readonly type: unknown; readonly default?: unknown }[]
}

/** A Postgres connector's `source` block, as the example generator writes it. */
const POSTGRES_SOURCE = {
  type: 'record',
  name: 'Source',
  namespace: 'io.debezium.connector.postgresql',
  fields: [
    { name: 'version', type: 'string' },
    { name: 'connector', type: 'string' },
    { name: 'name', type: 'string' },
    { name: 'ts_ms', type: 'long' },
    { name: 'db', type: 'string' },
    { name: 'schema', type: 'string' },
    { name: 'table', type: 'string' },
    { name: 'txId', type: ['null', 'long'], default: null },
    { name: 'lsn', type: ['null', 'long'], default: null },
  ],
} as const

/** The envelope a Postgres connector would register for `row` (what `produce --generate` writes). */
export function envelopeSchema(row: RecordSchema): AvroRecord {
  const ns = fullName(row)
  return {
    type: 'record',
    name: 'Envelope',
    namespace: ns,
    fields: [
      { name: 'before', type: ['null', { ...row, name: 'Value', namespace: ns }], default: null },
      { name: 'after', type: ['null', `${ns}.Value`], default: null },
      { name: 'source', type: POSTGRES_SOURCE },
      { name: 'op', type: 'string' },
      { name: 'ts_ms', type: ['null', 'long'], default: null },
    ],
  }
}

/** The reader for changes written with `writer`: its envelope, with `row` in place of its `Value`. */
export function envelopeReader(row: RecordSchema, writer: unknown): AvroRecord {
  const w = writer as AvroRecord
  if (w?.type !== 'record' || !Array.isArray(w.fields))
    throw new TypeError('the writer schema is not an Avro record, so not a Debezium envelope')
  const ns = namespaceOf(w.name, w.namespace)
  const before = w.fields.find((f) => f.name === 'before')
  const value = before && recordIn(before.type)
  if (!value)
    throw new TypeError('the writer schema has no before: ["null", record], so it is not a Debezium envelope')
  const valueName = qualified(value.name, value.namespace ?? ns)
  const renamed = { ...row, name: valueName, namespace: undefined }
  let defined = false
  const fields = w.fields.map((f) => {
    if (f.name !== 'before' && f.name !== 'after') return f
    // The first of the two defines the record; the other names it, as the connector writes them.
    const type = defined ? valueName : renamed
    defined = true
    return { name: f.name, type: ['null', type], default: null }
  })
  return { ...w, fields }
}

/**
 * The row record inside a registered envelope (its `before` branch), named as `row` is, so the
 * two compare field by field: what `schemas check` holds a change stream's schema against.
 */
export function envelopeRow(writer: unknown, row: RecordSchema): AvroRecord | undefined {
  const before = (writer as AvroRecord | undefined)?.fields?.find((f) => f.name === 'before')
  const value = before && recordIn(before.type)
  return value && { ...value, name: row.name, namespace: row.namespace }
}

function recordIn(t: unknown): AvroRecord | undefined {
  const branches = Array.isArray(t) ? t : [t]
  return branches.find((b): b is AvroRecord => typeof b === 'object' && b !== null && b.type === 'record')
}

function namespaceOf(name: string, namespace: string | undefined): string | undefined {
  return name.includes('.') ? name.slice(0, name.lastIndexOf('.')) : namespace
}

function qualified(name: string, namespace: string | undefined): string {
  return name.includes('.') || !namespace ? name : `${namespace}.${name}`
}
