import { isUtf8 } from 'node:buffer'
import avro from 'avsc'
import { firstInvalidUtf8 } from './strict-text.ts'

/**
 * Avro decimal (bytes, two's-complement unscaled value) as a JS number. avsc leaves logical types
 * to the caller; without this the record would carry an opaque Buffer.
 */
class DecimalType extends avro.types.LogicalType {
  private readonly scale: number

  constructor(attrs: { scale?: number }, opts?: object) {
    super(attrs as avro.Schema, opts)
    this.scale = attrs.scale ?? 0
  }

  override _fromValue(buf: Buffer): number {
    if (buf.length === 0) return 0
    let n = BigInt.asIntN(buf.length * 8, BigInt(`0x${buf.toString('hex')}`))
    const negative = n < 0n
    if (negative) n = -n
    const digits = n.toString().padStart(this.scale + 1, '0')
    const text = this.scale > 0 ? `${digits.slice(0, -this.scale)}.${digits.slice(-this.scale)}` : digits
    return Number(negative ? `-${text}` : text)
  }

  override _toValue(value: unknown): Buffer | undefined {
    if (typeof value !== 'number' || !Number.isFinite(value)) return undefined
    let unscaled = BigInt(Math.round(value * 10 ** this.scale))
    const bytes: number[] = []
    // Minimal two's-complement big-endian encoding, as Java's BigDecimal writes it.
    for (;;) {
      const byte = Number(unscaled & 0xffn)
      bytes.unshift(byte)
      unscaled >>= 8n
      if ((unscaled === 0n && (byte & 0x80) === 0) || (unscaled === -1n && (byte & 0x80) !== 0)) break
    }
    return Buffer.from(bytes)
  }

  override _resolve(type: avro.Type): ((x: unknown) => unknown) | undefined {
    if (avro.Type.isType(type, 'logical:decimal')) return (x) => x
    // A writer that declared plain bytes (or a registry that dropped the logical type) still
    // carries the same two's-complement bytes.
    if (type.typeName === 'bytes') return (x) => this._fromValue(x as Buffer)
    return undefined
  }
}

const logicalTypes = { decimal: DecimalType as unknown as new (...args: unknown[]) => avro.types.LogicalType }

/** Every Avro schema Tributary reads or writes is parsed here, so logical types are consistent. */
export function avroType(schema: object | string): avro.Type {
  return avro.Type.forSchema(schema as avro.Schema, { logicalTypes, wrapUnions: false })
}

/**
 * Why records written with `writer` cannot be read as `reader` under Avro's schema resolution (what
 * decoding does with a writer schema from the registry), or `undefined` when they can.
 */
export function resolutionProblem(reader: object, writer: object): string | undefined {
  try {
    avroType(reader).createResolver(avroType(writer))
    return undefined
  } catch (err) {
    const field = unresolvedField(reader, writer)
    return `${field === undefined ? '' : `field ${field}: `}${(err as Error).message}`
  }
}

/** avsc names the types it cannot resolve, not where: the first reader field that fails on its own. */
function unresolvedField(reader: object, writer: object): string | undefined {
  type Fields = { fields?: { name: string; type: object; default?: unknown }[] }
  const writerFields = new Map(((writer as Fields).fields ?? []).map((f) => [f.name, f]))
  for (const f of (reader as Fields).fields ?? []) {
    const w = writerFields.get(f.name)
    if (w === undefined) {
      if (!('default' in f)) return `${f.name} (not written, and no default)`
      continue
    }
    try {
      avroType(f.type).createResolver(avroType(w.type))
    } catch {
      return f.name
    }
  }
  return undefined
}

/**
 * A string field of an Avro body whose bytes are not UTF-8; `offset` is where in the buffer read
 * (which may hold a header before the body).
 */
export class InvalidUtf8Error extends Error {
  readonly field: string
  readonly offset: number
  readonly byte: number
  constructor(field: string, offset: number, byte: number) {
    super('')
    this.field = field
    this.offset = offset
    this.byte = byte
    this.message = this.inBody(0)
  }

  /** The reason, counting bytes from the body's start at `start` in the buffer. */
  inBody(start: number): string {
    return `field ${this.field}: byte ${this.offset - start} of the Avro body (0x${this.byte.toString(16).padStart(2, '0')}) does not start a valid UTF-8 character; Avro strings must be UTF-8 (avro(schema, { invalidUtf8: 'replace' }) accepts it with U+FFFD instead)`
  }
}

interface Tap {
  buf: Buffer & Utf8Slicing
  pos: number
  readLong(): number
  _invalidate(): void
}

/** Buffer's own decoder, without `toString`'s argument handling (avsc reads strings with it too). */
interface Utf8Slicing {
  utf8Slice(start: number, end: number): string
}

const FIELD = 'tributary.field'
const StringType = (avro.types as unknown as { StringType: new () => avro.Type }).StringType

/** A string type that refuses bytes that are not UTF-8, naming its field (avsc would give U+FFFD). */
function strictString(field: string): avro.Type {
  class StrictString extends StringType {
    _read(tap: Tap): string | undefined {
      const len = tap.readLong()
      if (len < 0) {
        tap._invalidate()
        return ''
      }
      const pos = tap.pos
      tap.pos += len
      if (tap.pos > tap.buf.length) return undefined
      // Decoding replaces every invalid sequence with U+FFFD, so a string without one was valid:
      // only then is the scan needed (U+FFFD may also be in the text). Decoding first spares a
      // sub-buffer and a native scan per string, which were a tenth of the silver stage's CPU.
      const text = tap.buf.utf8Slice(pos, tap.pos)
      if (text.indexOf('\uFFFD') !== -1) {
        const bytes = tap.buf.subarray(pos, tap.pos)
        if (!isUtf8(bytes)) {
          const at = pos + firstInvalidUtf8(bytes)
          throw new InvalidUtf8Error(field, at, tap.buf[at]!)
        }
      }
      return text
    }
  }
  return new StrictString()
}

/** The schema with each string marked with its field's path, for the type hook below. */
function markStrings(schema: unknown, path: string): unknown {
  if (schema === 'string') return { type: 'string', [FIELD]: path }
  if (Array.isArray(schema)) return schema.map((s) => markStrings(s, path))
  if (typeof schema !== 'object' || schema === null) return schema
  const s = schema as Record<string, unknown>
  if (s.type === 'record')
    return {
      ...s,
      fields: (s.fields as { name: string; type: unknown }[]).map((f) => ({
        ...f,
        type: markStrings(f.type, path ? `${path}.${f.name}` : f.name),
      })),
    }
  if (s.type === 'array') return { ...s, items: markStrings(s.items, `${path}[]`) }
  if (s.type === 'map') return { ...s, values: markStrings(s.values, `${path}{}`) }
  if (s.type === 'string' && s.logicalType === undefined) return { ...s, [FIELD]: path }
  return s
}

/**
 * A reader type whose strings refuse bytes that are not UTF-8. Resolvers read strings with the
 * reader's `_read`, so records from any compatible writer schema are checked too.
 */
export function strictAvroType(schema: object): avro.Type {
  return avro.Type.forSchema(markStrings(schema, '') as avro.Schema, {
    logicalTypes,
    wrapUnions: false,
    typeHook: (s) => {
      const field = (s as Record<string, unknown>)[FIELD]
      return typeof field === 'string' ? strictString(field) : undefined
    },
  })
}
