import { SchemaRegistry as ConfluentRegistry, SchemaType } from '@kafkajs/confluent-schema-registry'
import { redactUrl, splitUrlCredentials } from '../config/url-credentials.ts'
import { TributaryError } from '../errors/tributary-error.ts'
import { resolutionProblem } from './avro-types.ts'

/** The two calls Tributary needs from a Confluent-compatible schema registry. */
export interface SchemaRegistry {
  /** Registers (or finds) the schema under the subject and returns its global id. */
  register(subject: string, schema: object): Promise<number>
  /** A version of the subject (the latest when `version` is omitted); `null` when there is no such version. */
  subjectSchema(subject: string, version?: number): Promise<SubjectSchema | null>
  /** Whether the registry would take `schema` as the subject's next version, under the subject's compatibility rule. */
  isCompatible(subject: string, schema: object): Promise<boolean>
  /** The writer schema with this id, as Avro JSON; `null` when the registry has no such id. */
  schemaById(id: number): Promise<object | null>
  /** The subject's version numbers, soft-deleted ones included (their ids still decode); [] for an unknown subject. */
  subjectVersions(subject: string): Promise<number[]>
  /** The global schema id of one version of the subject; `null` when it has no such version (any more). */
  subjectVersionId(subject: string, version: number): Promise<number | null>
}

export interface SubjectSchema {
  readonly subject: string
  readonly version: number
  readonly id: number
  /** As registered: Avro JSON, attributes and their order kept. */
  readonly schema: object
}

export class RegistryUnavailableError extends TributaryError {
  constructor(url: string, cause: unknown) {
    super('REGISTRY_UNAVAILABLE', `schema registry at ${redactUrl(url)} did not answer`, {
      retriable: true,
      cause,
    })
  }
}

/** Over HTTP to Confluent Schema Registry or Apicurio's ccompat API (`.../apis/ccompat/v7`). */
export function confluentRegistry(
  urlWithCredentials: string,
  explicitAuth?: { username: string; password: string },
): SchemaRegistry {
  const { url, ...inUrl } = splitUrlCredentials(urlWithCredentials)
  const auth = explicitAuth ?? (inUrl.username || inUrl.password ? inUrl : undefined)
  const client = new ConfluentRegistry({ host: url, ...(auth ? { auth } : {}) })
  const headers: Record<string, string> = auth
    ? { authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}` }
    : {}
  const base = url.replace(/\/$/, '')
  /** The REST API directly: the client library lacks these calls, and parses schemas lossily. */
  async function call(path: string, init: RequestInit = {}): Promise<Response> {
    try {
      return await fetch(`${base}${path}`, {
        ...init,
        headers: { ...headers, 'content-type': 'application/vnd.schemaregistry.v1+json' },
        signal: AbortSignal.timeout(10_000),
      })
    } catch (err) {
      throw new RegistryUnavailableError(url, err)
    }
  }
  async function unavailable(res: Response): Promise<never> {
    throw new RegistryUnavailableError(url, new Error(`HTTP ${res.status}: ${await res.text()}`))
  }
  /** GET a JSON document; `null` on 404 (the registry has no such thing). */
  async function getJson(path: string): Promise<unknown> {
    const res = await call(path)
    if (res.status === 404) return null
    if (!res.ok) return unavailable(res)
    return res.json()
  }
  const subjectPath = (subject: string) => `/subjects/${encodeURIComponent(subject)}/versions`
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
    async subjectSchema(subject, version) {
      const body = (await getJson(
        `${subjectPath(subject)}/${version === undefined ? 'latest' : version}`,
      )) as {
        version: number
        id: number
        schema: string
        schemaType?: string
      } | null
      if (body === null) return null
      if (body.schemaType !== undefined && body.schemaType !== 'AVRO')
        throw new TributaryError(
          'SCHEMA_NOT_AVRO',
          `${subject} version ${body.version} is a ${body.schemaType} schema; Tributary reads Avro record schemas`,
        )
      return { subject, version: body.version, id: body.id, schema: JSON.parse(body.schema) as object }
    },
    async isCompatible(subject, schema) {
      const res = await call(`/compatibility/subjects/${encodeURIComponent(subject)}/versions/latest`, {
        method: 'POST',
        body: JSON.stringify({ schemaType: 'AVRO', schema: JSON.stringify(schema) }),
      })
      if (!res.ok) return unavailable(res)
      return ((await res.json()) as { is_compatible: boolean }).is_compatible
    },
    async schemaById(id) {
      // Straight from the REST API: the client library hands back a parsed type that has lost
      // logical-type attributes (decimal precision/scale), and we need the writer schema verbatim.
      const body = (await getJson(`/schemas/ids/${id}`)) as { schema: string; schemaType?: string } | null
      if (body === null) return null
      if (body.schemaType !== undefined && body.schemaType !== 'AVRO') return null
      return JSON.parse(body.schema) as object
    },
    async subjectVersions(subject) {
      return ((await getJson(`${subjectPath(subject)}?deleted=true`)) as number[] | null) ?? []
    },
    async subjectVersionId(subject, version) {
      const body = (await getJson(`${subjectPath(subject)}/${version}?deleted=true`)) as { id: number } | null
      return body?.id ?? null
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
    async subjectSchema(subject, version) {
      const ids = subjects.get(subject) ?? []
      const at = version === undefined ? ids.length : version
      const id = ids[at - 1]
      return id === undefined ? null : { subject, version: at, id, schema: JSON.parse(byId.get(id)!) }
    },
    /** As the stack's registry is configured (BACKWARD): the new schema reads what the latest wrote. */
    async isCompatible(subject, schema) {
      const latest = await this.subjectSchema(subject)
      return latest === null || resolutionProblem(schema, latest.schema) === undefined
    },
    async schemaById(id) {
      const text = byId.get(id)
      return text === undefined ? null : JSON.parse(text)
    },
    async subjectVersions(subject) {
      return (subjects.get(subject) ?? []).map((_, i) => i + 1)
    },
    async subjectVersionId(subject, version) {
      return subjects.get(subject)?.[version - 1] ?? null
    },
  }
}
