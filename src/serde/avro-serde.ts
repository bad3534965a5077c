import type avro from 'avsc'

type Resolver = ReturnType<avro.Type['createResolver']>

import { DecodeError } from '../errors/tributary-error.ts'
import type { RecordSchema } from '../schema/types.ts'
import { avroType, InvalidUtf8Error, strictAvroType } from './avro-types.ts'
import type { Decoded, ValueSerde } from './format.ts'
import { mapConcurrent } from './map-concurrent.ts'
import type { SchemaRegistry } from './registry.ts'
import { SchemaMisses } from './schema-misses.ts'
import type { TextPolicy } from './strict-text.ts'

const MAGIC = 0

/** Registry lookups in flight at once while preparing a batch: its distinct unknown ids. */
const LOOKUP_CONCURRENCY = 16

export interface AvroSerdeOptions {
  /** How long a registry miss (unknown schema id) is believed before asking again; default 60 s. */
  readonly missTtlMs?: number
  /** Misses remembered at most; default 100,000. */
  readonly maxMisses?: number
  readonly now?: () => number
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
  const reader = options.invalidUtf8 === 'replace' ? avroType(schema) : strictAvroType(schema)
  // Per writer schema id (immutable in a registry): a resolver, or why no record with it can be read.
  const resolvers = new Map<number, Resolver | DecodeError>()
  const misses = new SchemaMisses({
    ttlMs: options.missTtlMs ?? 60_000,
    max: options.maxMisses ?? 100_000,
    ...(options.now ? { now: options.now } : {}),
  })
  const registered = new Map<string, number>()

  const resolve = async (id: number): Promise<void> => {
    const writerSchema = await registry.schemaById(id)
    if (writerSchema === null) {
      misses.add(id)
      return
    }
    misses.delete(id)
    try {
      resolvers.set(id, reader.createResolver(avroType(writerSchema)))
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
    async prepare(payloads) {
      const ids = new Set<number>()
      for (const p of payloads) if (p && p.length >= 5 && p[0] === MAGIC) ids.add(p.readInt32BE(1))
      misses.trim()
      const unknown = [...ids].filter((id) => !resolvers.has(id) && !misses.fresh(id))
      await mapConcurrent(unknown, LOOKUP_CONCURRENCY, resolve)
    },
    decode(payload): Decoded<T> {
      if (payload === null || payload.length === 0)
        throw new DecodeError('empty payload', { code: 'EMPTY_PAYLOAD' })
      if (payload.length < 5 || payload[0] !== MAGIC) {
        throw new DecodeError('not Confluent wire format (magic byte 0 + schema id)', {
          code: 'BAD_WIRE_FORMAT',
        })
      }
      const id = payload.readInt32BE(1)
      const resolver = resolvers.get(id) ?? misses.error(id)
      if (resolver === undefined) throw new Error(`schema id ${id} was not prepared; call prepare() first`)
      if (resolver instanceof DecodeError) throw resolver
      try {
        return { value: reader.fromBuffer(payload.subarray(5), resolver) as T, schemaId: id }
      } catch (cause) {
        if (cause instanceof InvalidUtf8Error)
          throw new DecodeError(cause.message, { code: 'INVALID_UTF8', cause })
        throw new DecodeError(`Avro body does not match schema id ${id}: ${(cause as Error).message}`, {
          code: 'AVRO_DECODE_FAILED',
          cause,
        })
      }
    },
    async encode(value, topic) {
      const subject = `${topic}-value`
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
