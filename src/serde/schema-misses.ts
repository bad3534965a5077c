import { DecodeError } from '../errors/tributary-error.ts'

/**
 * Schema ids the registry did not know, remembered for a bounded time: a misbehaving producer
 * writing random ids costs one lookup per distinct id per `ttlMs`, not one per record, and an id
 * registered later is found once its miss expires. At most `max` ids are kept (oldest dropped
 * first), plus those of the batch being prepared, so random ids cannot grow memory without bound.
 */
export class SchemaMisses {
  /**
   * id -> when its miss expires, and the error its records get (one per id: building an Error per
   * record would cost a stack trace each). Map iteration is insertion order, so oldest first.
   */
  readonly #entries = new Map<number, { expires: number; error: DecodeError }>()
  readonly #ttlMs: number
  readonly #max: number
  readonly #now: () => number

  constructor(options: { ttlMs: number; max: number; now?: () => number }) {
    this.#ttlMs = options.ttlMs
    this.#max = options.max
    this.#now = options.now ?? Date.now
  }

  /** A miss that has not expired: no need to ask the registry again. */
  fresh(id: number): boolean {
    const entry = this.#entries.get(id)
    return entry !== undefined && entry.expires > this.#now()
  }

  /** The error for a known-missing id, expired or not: decode runs after the prepare that checked it. */
  error(id: number): DecodeError | undefined {
    return this.#entries.get(id)?.error
  }

  add(id: number): void {
    this.#entries.delete(id)
    this.#entries.set(id, {
      expires: this.#now() + this.#ttlMs,
      error: new DecodeError(`schema id ${id} is unknown to the registry`, { code: 'UNKNOWN_SCHEMA_ID' }),
    })
  }

  delete(id: number): void {
    this.#entries.delete(id)
  }

  /** Drops expired misses, then the oldest beyond `max`; called before a batch adds its own. */
  trim(): void {
    const now = this.#now()
    for (const [id, { expires }] of this.#entries) {
      if (expires > now && this.#entries.size <= this.#max) break
      this.#entries.delete(id)
    }
  }
}
