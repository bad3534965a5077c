import { SchemaRegistry as ConfluentRegistry, SchemaType } from '@kafkajs/confluent-schema-registry'
import { TributaryError } from '../errors/tributary-error.ts'

/** The two calls Tributary needs from a Confluent-compatible schema registry. */
export interface SchemaRegistry {
  /** Registers (or finds) the schema under the subject and returns its global id. */
  register(subject: string, schema: object): Promise<number>
  /** The writer schema with this id, as Avro JSON; `null` when the registry has no such id. */
  schemaById(id: number): Promise<object | null>
}

export class RegistryUnavailableError extends TributaryError {
  constructor(url: string, cause: unknown) {
    super('REGISTRY_UNAVAILABLE', `schema registry at ${url} did not answer`, { retriable: true, cause })
  }
}

function isNotFound(err: unknown): boolean {
  const e = err as { status?: number; message?: string }
  return e?.status === 404 || /not found|40403/i.test(String(e?.message))
}

/** Over HTTP to Confluent Schema Registry or Apicurio's ccompat API (`.../apis/ccompat/v7`). */
export function confluentRegistry(
  url: string,
  auth?: { username: string; password: string },
): SchemaRegistry {
  const client = new ConfluentRegistry({ host: url, ...(auth ? { auth } : {}) })
  return {
    async register(subject, schema) {
      try {
        const { id } = await client.register(
          { type: SchemaType.AVRO, schema: JSON.stringify(schema) },
          { subject },
        )
        return id
      } catch (err) {
        if ((err as { status?: number }).status === 409) {
          throw new TributaryError(
            'SCHEMA_INCOMPATIBLE',
            `schema for ${subject} is not compatible with the registered versions: ${(err as Error).message}`,
            { cause: err },
          )
        }
        throw new RegistryUnavailableError(url, err)
      }
    },
    async schemaById(id) {
      try {
        const type = (await client.getSchema(id)) as unknown as { schema(opts: object): object }
        // exportAttrs keeps logical-type attributes (decimal precision/scale) in the JSON.
        return type.schema({ exportAttrs: true })
      } catch (err) {
        if (isNotFound(err)) return null
        throw new RegistryUnavailableError(url, err)
      }
    },
  }
}

/** The in-memory twin, for the test driver and unit tests. */
export function memoryRegistry(): SchemaRegistry & { subjects: Map<string, number[]> } {
  const byId = new Map<number, string>()
  const subjects = new Map<string, number[]>()
  return {
    subjects,
    async register(subject, schema) {
      const text = JSON.stringify(schema)
      let id = [...byId.entries()].find(([, s]) => s === text)?.[0]
      if (id === undefined) {
        id = byId.size + 1
        byId.set(id, text)
      }
      const versions = subjects.get(subject) ?? []
      if (!versions.includes(id)) versions.push(id)
      subjects.set(subject, versions)
      return id
    },
    async schemaById(id) {
      const text = byId.get(id)
      return text === undefined ? null : JSON.parse(text)
    },
  }
}
