/**
 * Debezium change streams, declared and read. A Debezium connector writes one change per message,
 * `{ before, after, op, ts_ms, source }`, keyed by the row's primary key, and after each delete a
 * tombstone (a null value) so log compaction can drop the key. `debezium()` is a declaration, no
 * I/O: the runtime reads each change into its row (the `after` image) and a version (the source
 * position, e.g. Postgres' `source.lsn`) that orders it against the other changes of its key.
 */
import { ConfigError } from '../errors/tributary-error.ts'
import type { ChangeOp } from '../records/change.ts'

/** A change event as the connector writes it (JSON with or without its schema, or Avro). */
export interface DebeziumChange<T> {
  readonly before: T | null
  readonly after: T | null
  readonly op: string
  readonly ts_ms?: number | null
  readonly source?: Readonly<Record<string, unknown>> | null
}

/**
 * Where a change's version is: a dotted path into the event (`'source.lsn'`), or a function of
 * it. It must be an unsigned integer that grows with the source's commit order, per key.
 */
export type VersionOf =
  | string
  | ((change: DebeziumChange<unknown>) => number | bigint | string | null | undefined)

export interface ChangeStream<K extends string = string> {
  readonly kind: 'debezium'
  /** The primary key's fields: silver holds one current row per key. */
  readonly key: readonly K[]
  /** The path, or "a function": for messages. */
  readonly versionLabel: string
  // A method, so a topology of any row type is still a Topology<RecordSchema> (bivariant).
  versionOf(change: DebeziumChange<unknown>): unknown
}

export interface DebeziumOptions<K extends string> {
  /** The row's primary key field(s); the topology checks they are fields of its schema. */
  readonly key: K | readonly K[]
  /** Postgres: `'source.lsn'`. MySQL has no single position; combine `source.file`/`pos` in a function. */
  readonly version: VersionOf
}

/** Declares a topic as a Debezium change stream of the topology's schema. */
export function debezium<const K extends string>(opts: DebeziumOptions<K>): ChangeStream<K> {
  const key: readonly K[] = typeof opts.key === 'string' ? [opts.key as K] : (opts.key as readonly K[])
  if (key.length === 0)
    throw new ConfigError('source.changes.key', 'is empty', "name the primary key, e.g. key: 'id'")
  const of = opts.version
  const path = typeof of === 'string' ? of.split('.') : null
  return {
    kind: 'debezium',
    key,
    versionLabel: typeof of === 'string' ? of : 'the version function',
    versionOf: (change) => {
      if (typeof of === 'function') return of(change)
      let v: unknown = change
      for (const part of path!) v = isObject(v) ? v[part] : undefined
      return v
    },
  }
}

/** What one change means for silver, or why it cannot be read. */
export type Unwrapped<T> =
  | { readonly kind: 'upsert'; readonly op: ChangeOp; readonly row: T; readonly version: string }
  | { readonly kind: 'delete'; readonly key: Record<string, unknown>; readonly version: string }
  | { readonly kind: 'invalid'; readonly code: string; readonly reason: string }

const UINT64_MAX = (1n << 64n) - 1n

/** Reads a decoded change. `kafkaKey` holds the key when a delete carries no `before` image. */
export function unwrapChange<T>(
  stream: ChangeStream,
  decoded: unknown,
  kafkaKey: Buffer | null,
): Unwrapped<T> {
  const change = envelopeOf(decoded) as DebeziumChange<T> | null
  if (change === null)
    return invalid(
      'CDC_NOT_AN_ENVELOPE',
      'the value is not a Debezium change event (an object with op, before and after)',
    )
  const version = versionOf(stream, change)
  if (typeof version !== 'string') return invalid('CDC_VERSION_INVALID', version.reason)
  switch (change.op) {
    case 'c':
    case 'u':
    case 'r':
      if (!isObject(change.after))
        return invalid('CDC_AFTER_MISSING', `a change with op "${change.op}" has no after image`)
      return { kind: 'upsert', op: change.op, row: change.after, version }
    case 'd': {
      const key = keyOf(stream.key, change.before) ?? keyOf(stream.key, jsonKey(kafkaKey))
      if (key === null)
        return invalid(
          'CDC_KEY_MISSING',
          `a delete names no primary key (${stream.key.join(', ')}) in its before image or its Kafka key`,
        )
      return { kind: 'delete', key, version }
    }
    default:
      return invalid(
        'CDC_UNSUPPORTED_OP',
        `op ${JSON.stringify(change.op)} is not a row change (c, u, d, r); truncates and messages are not applied`,
      )
  }
}

function invalid(code: string, reason: string): Unwrapped<never> {
  return { kind: 'invalid', code, reason }
}

/** The event itself, or its `payload` when the JSON converter wrote the schema beside it. */
function envelopeOf(v: unknown): Record<string, unknown> | null {
  if (!isObject(v)) return null
  const e = 'payload' in v && 'schema' in v && isObject(v.payload) ? v.payload : v
  return typeof e.op === 'string' && 'after' in e && 'before' in e ? e : null
}

function versionOf(stream: ChangeStream, change: DebeziumChange<unknown>): string | { reason: string } {
  const v = stream.versionOf(change)
  const digits =
    typeof v === 'number' && Number.isSafeInteger(v) && v >= 0
      ? String(v)
      : typeof v === 'bigint' && v >= 0n && v <= UINT64_MAX
        ? String(v)
        : typeof v === 'string' && /^\d{1,20}$/.test(v) && BigInt(v) <= UINT64_MAX
          ? String(BigInt(v))
          : null
  return (
    digits ?? {
      reason: `${stream.versionLabel} gives ${describe(v)}, not an unsigned 64-bit integer version`,
    }
  )
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing'
  return typeof v === 'bigint' ? `${v}` : JSON.stringify(v)
}

function keyOf(key: readonly string[], image: unknown): Record<string, unknown> | null {
  if (!isObject(image)) return null
  const out: Record<string, unknown> = {}
  for (const k of key) {
    const v = image[k]
    if (v === null || v === undefined || v === '') return null
    out[k] = v
  }
  return out
}

/** A JSON Kafka key, `{"id":1}` or `{"schema":…,"payload":{"id":1}}`; anything else is no key. */
function jsonKey(key: Buffer | null): unknown {
  if (key === null) return null
  try {
    const k: unknown = JSON.parse(key.toString('utf8'))
    return isObject(k) && 'payload' in k && 'schema' in k ? k.payload : k
  } catch {
    return null
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v)
}
