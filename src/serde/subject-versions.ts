import { DecodeError } from '../errors/tributary-error.ts'
import { mapConcurrent } from './map-concurrent.ts'
import type { SchemaRegistry } from './registry.ts'

/** Version lookups in flight at once when a refresh finds several new versions. */
const VERSION_CONCURRENCY = 8

/** Rejection errors kept for reuse (one per id: an Error per record would cost a stack trace each). */
const MAX_REJECTIONS = 10_000

/**
 * The schema ids registered under one subject, as far as the last refresh saw. Producers register
 * their schema before they write with it, so an id still absent after a refresh that started
 * after a record was fetched is not a version of the subject: the record is rejected at the cost
 * of one registry round trip per batch, however many distinct (random) ids the batch holds.
 */
export class SubjectVersions {
  readonly subject: string
  readonly #registry: SchemaRegistry
  readonly #ids = new Set<number>()
  /** Version numbers already read: a refresh asks only for the new ones. */
  readonly #versions = new Set<number>()
  readonly #rejections = new Map<number, DecodeError>()
  #inFlight: Promise<void> | null = null
  /** The refresh after the one in flight, shared by every caller that arrived while it ran. */
  #next: Promise<void> | null = null

  constructor(registry: SchemaRegistry, subject: string) {
    this.#registry = registry
    this.subject = subject
  }

  has(id: number): boolean {
    return this.#ids.has(id)
  }

  /**
   * Settles once a refresh that started no earlier than this call has finished. One already in
   * flight started too early (it may have listed the versions before the caller's records were
   * written), so callers arriving meanwhile share the next one.
   */
  refresh(): Promise<void> {
    if (this.#next) return this.#next
    if (this.#inFlight) {
      const next = this.#inFlight
        .catch(() => {})
        .then(() => {
          this.#next = null
          return this.#start()
        })
      this.#next = next
      return next
    }
    return this.#start()
  }

  /** Why a record with this id is rejected; call only for an id that `has` denies after a refresh. */
  rejection(id: number): DecodeError {
    let error = this.#rejections.get(id)
    if (error === undefined) {
      if (this.#rejections.size >= MAX_REJECTIONS) this.#rejections.clear()
      error = new DecodeError(
        `schema id ${id} is not a version of subject ${this.subject} (the registry was asked after the record was read); register the writer schema under ${this.subject} before producing, or set the format's lookup to 'any' for producers using another subject name strategy`,
        { code: 'UNKNOWN_SCHEMA_ID' },
      )
      this.#rejections.set(id, error)
    }
    return error
  }

  #start(): Promise<void> {
    const run = this.#read().finally(() => {
      if (this.#inFlight === run) this.#inFlight = null
    })
    this.#inFlight = run
    return run
  }

  async #read(): Promise<void> {
    const fresh = (await this.#registry.subjectVersions(this.subject)).filter((v) => !this.#versions.has(v))
    await mapConcurrent(fresh, VERSION_CONCURRENCY, async (version) => {
      const id = await this.#registry.subjectVersionId(this.subject, version)
      if (id !== null) {
        this.#ids.add(id)
        this.#rejections.delete(id)
      }
      // A version deleted between the list and this read stays deleted: versions are not reused.
      this.#versions.add(version)
    })
  }
}
