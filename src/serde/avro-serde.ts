import type avro from 'avsc'

type Resolver = ReturnType<avro.Type['createResolver']>
interface Reader {
  readonly reader: avro.Type
  readonly resolver: Resolver
  readonly writer: avro.Type
}

import { DecodeError } from '../errors/tributary-error.ts'
import type { RecordSchema } from '../schema/types.ts'
import { avroType, InvalidUtf8Error, strictAvroType } from './avro-types.ts'
import { emptyPayload } from './empty-payload.ts'
import type { Decoded, ValueSerde } from './format.ts'
import { mapConcurrent } from './map-concurrent.ts'
import type { SchemaRegistry } from './registry.ts'
import { SchemaMisses } from './schema-misses.ts'
import type { TextPolicy } from './strict-text.ts'
import { SubjectVersions } from './subject-versions.ts'

const MAGIC = 0

/** Registry lookups in flight at once while preparing a batch: its distinct unknown ids. */
const LOOKUP_CONCURRENCY = 16

export interface AvroSerdeOptions {
  /**
   * The subject a topic's schemas are registered under: a record's schema id must be one of its
   * versions, checked with one registry round trip per batch with unknown ids. Without it, any id
   * the registry knows is accepted, at one lookup per distinct unknown id (misses cached below).
   */
  readonly subject?: (topic: string) => string
  /** Without `subject`: how long a registry miss (unknown schema id) is believed before asking again; default 60 s. */
  readonly missTtlMs?: number
  /** Without `subject`: misses remembered at most; default 100,000. */
  readonly maxMisses?: number
  readonly now?: () => number
  /**
   * The reader schema for one writer schema, where it must borrow the writer's names (Debezium's
   * envelope, named after its topic). Default: `schema` for every writer.
   */
  readonly readerFor?: (writer: unknown) => object
}

/**
 * Confluent wire format: magic byte 0, a 4-byte schema id, the Avro body. The topology's schema is
 * the reader schema, so records written with an older compatible writer schema resolve to today's
 * record type (new optional fields get their defaults).
 */
export function avroSerde<T>(
  schema: RecordSchema,
  registry: SchemaRegistry,
  options: AvroSerdeOptions & TextPolicy = {},
): ValueSerde<T> {
  const typeOf = (s: object) => (options.invalidUtf8 === 'replace' ? avroType(s) : strictAvroType(s))
  const reader = typeOf(schema)
  // Per writer schema id (immutable in a registry): a resolver, or why no record with it can be read.
  const resolvers = new Map<number, Reader | DecodeError>()
  const misses = new SchemaMisses({
    ttlMs: options.missTtlMs ?? 60_000,
    max: options.maxMisses ?? 100_000,
    ...(options.now ? { now: options.now } : {}),
  })
  const registered = new Map<string, number>()
  const subjectOf = options.subject
  const subjects = new Map<string, SubjectVersions>()
  // Per record: a batch is one topic, so the last topic's answer saves building its subject name.
  let last: { topic: string; versions: SubjectVersions } | undefined
  const versionsOf = (topic: string): SubjectVersions => {
    if (last?.topic === topic) return last.versions
    const subject = subjectOf!(topic)
    let versions = subjects.get(subject)
    if (versions === undefined) {
      versions = new SubjectVersions(registry, subject)
      subjects.set(subject, versions)
    }
    last = { topic, versions }
    return versions
  }

  const resolve = async (id: number): Promise<void> => {
    const writerSchema = await registry.schemaById(id)
    if (writerSchema === null) {
      misses.add(id)
      return
    }
    misses.delete(id)
    try {
      const writer = avroType(writerSchema)
      const own = options.readerFor ? typeOf(options.readerFor(writerSchema)) : reader
      resolvers.set(id, { reader: own, resolver: own.createResolver(writer), writer })
    } catch (cause) {
      resolvers.set(
        id,
        new DecodeError(
          `writer schema id ${id} cannot be read as ${schema.name}: ${(cause as Error).message}`,
          {
            code: 'INCOMPATIBLE_SCHEMA',
            cause,
          },
        ),
      )
    }
  }

  return {
    async prepare(payloads, topic) {
      const ids = new Set<number>()
      for (const p of payloads) if (p && p.length >= 5 && p[0] === MAGIC) ids.add(p.readInt32BE(1))
      if (subjectOf) {
        const versions = versionsOf(topic)
        if ([...ids].some((id) => !versions.has(id))) await versions.refresh()
        const unread = [...ids].filter((id) => versions.has(id) && !resolvers.has(id))
        await mapConcurrent(unread, LOOKUP_CONCURRENCY, resolve)
        return
      }
      misses.trim()
      const unknown = [...ids].filter((id) => !resolvers.has(id) && !misses.fresh(id))
      await mapConcurrent(unknown, LOOKUP_CONCURRENCY, resolve)
    },
    decode(payload, topic): Decoded<T> {
      if (payload === null || payload.length === 0) throw emptyPayload(payload)
      if (payload.length < 5 || payload[0] !== MAGIC) {
        const found =
          payload[0] !== MAGIC
            ? `its first byte is 0x${payload[0]!.toString(16).padStart(2, '0')}`
            : `it is only ${payload.length} bytes long`
        throw new DecodeError(
          `the payload does not start with the Confluent wire-format header (a 0x00 byte, then a 4-byte schema id): ${found}`,
          { code: 'BAD_WIRE_FORMAT' },
        )
      }
      const id = payload.readInt32BE(1)
      const resolver = resolvers.get(id) ?? misses.error(id)
      if (subjectOf) {
        const versions = versionsOf(topic)
        // Listed but unread: another batch's refresh found it after this batch's, so it was not
        // registered when this record was written.
        if (!versions.has(id) || resolver === undefined) throw versions.rejection(id)
      }
      if (resolver === undefined) throw new Error(`schema id ${id} was not prepared; call prepare() first`)
      if (resolver instanceof DecodeError) throw resolver
      let cause: unknown
      try {
        // Read in place after the header (no sub-buffer per record); the whole rest must be the record.
        const read = resolver.reader.decode(payload, 5, resolver.resolver)
        if (read.offset === payload.length) return { value: read.value as T, schemaId: id }
      } catch (error) {
        if (error instanceof InvalidUtf8Error)
          throw new DecodeError(error.inBody(5), { code: 'INVALID_UTF8', cause: error })
        cause = error
      }
      const body = payload.subarray(5)
      throw new DecodeError(
        `the Avro body (${body.length} bytes after the 5-byte header) is not a record of writer schema id ${id}: ${whereAvroStops(resolver.writer, body)}`,
        { code: 'AVRO_DECODE_FAILED', cause },
      )
    },
    async encode(value, topic) {
      const subject = subjectOf ? subjectOf(topic) : `${topic}-value`
      let id = registered.get(subject)
      if (id === undefined) {
        id = await registry.register(subject, schema)
        registered.set(subject, id)
      }
      const header = Buffer.alloc(5)
      header.writeUInt8(MAGIC, 0)
      header.writeInt32BE(id, 1)
      return Buffer.concat([header, reader.toBuffer(value)])
    },
  }
}

/**
 * Where a body stops being the writer schema's record, found by decoding it field by field: the
 * field and byte a data engineer can look at, instead of the decoder's own exception.
 */
function whereAvroStops(writer: avro.Type, body: Buffer): string {
  const fields = (writer as unknown as { fields?: { name: string; type: avro.Type }[] }).fields ?? []
  let pos = 0
  for (const f of fields) {
    let next: number
    try {
      next = f.type.decode(body, pos).offset
    } catch {
      return `field ${f.name} (from byte ${pos}) does not decode as ${typeLabel(f.type)}`
    }
    if (next < 0 || next > body.length)
      return `field ${f.name} (from byte ${pos}) ends past the body's ${body.length} bytes: the record is truncated, or these bytes were not written with this schema`
    pos = next
  }
  return pos < body.length
    ? `${body.length - pos} bytes left over after the record (from byte ${pos}): the producer wrote another schema than the id it sent`
    : 'the bytes do not decode as its fields'
}

function typeLabel(t: avro.Type): string {
  const name = (t as unknown as { typeName: string }).typeName
  return name.startsWith('logical:') ? name.slice(8) : name
}
