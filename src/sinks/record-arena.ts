import { hasHeaders, type KafkaRecord, NO_HEADERS } from '../records/record.ts'

const FIRST_RECORDS = 1024
/**
 * Per record in the index: offset, timestamp, then for its key and its value: which memory, where
 * in it, how many bytes (NULL_LENGTH for null).
 */
const FIELDS = 8
const NULL_LENGTH = -1

/**
 * The input records behind one partition's rows of an epoch, kept for the rare row the server
 * refuses (it goes to quarantine as the record it came from). Kept as objects, they were ~1M live
 * records per epoch that the garbage collector traced and moved into the old generation for nothing
 * (0.3-0.4 CPU s per million events in the full bench, ~4%); here a record is numbers in a typed
 * array (offset, timestamp, where its key and value are) and is made again only when asked for.
 * Its key and value stay where they were fetched: the memory (off the JS heap) is held, not copied,
 * until the epoch's flush lets the arena go. Copying them cost ~150 ns a record in the engine's
 * profile; holding the fetches costs about what the copies took, as most of a fetch's bytes are
 * its records'. Records with headers (rare, and their header list is needed as received) and
 * offsets past 2^53 are kept as they are.
 */
export class RecordArena {
  #topic = ''
  #partition = 0
  #count = 0
  // Allocated on the first record: most sinks' buckets never keep one (only silver routes refusals).
  #index = new Float64Array(0)
  /** The memories keys and values are in; records of one fetch share one. */
  readonly #memories: ArrayBufferLike[] = []
  /** Records kept whole, by position. */
  readonly #whole = new Map<number, KafkaRecord>()

  get length(): number {
    return this.#count
  }

  add(r: KafkaRecord): void {
    const i = this.#count++
    if (i === 0) {
      this.#topic = r.topic
      this.#partition = r.partition
    }
    const offset = Number(r.offset)
    if (hasHeaders(r) || !Number.isSafeInteger(offset)) {
      this.#whole.set(i, r)
      return
    }
    if ((i + 1) * FIELDS > this.#index.length) {
      const grown = new Float64Array(Math.max(this.#index.length * 2, FIRST_RECORDS * FIELDS))
      grown.set(this.#index)
      this.#index = grown
    }
    const at = i * FIELDS
    this.#index[at] = offset
    this.#index[at + 1] = r.timestamp
    this.#hold(at + 2, r.key)
    this.#hold(at + 5, r.value)
  }

  /** The i-th record added, equal to it (its key and value are views of the same bytes). */
  get(i: number): KafkaRecord {
    const whole = this.#whole.get(i)
    if (whole !== undefined) return whole
    const at = i * FIELDS
    return {
      topic: this.#topic,
      partition: this.#partition,
      offset: String(this.#index[at]),
      timestamp: this.#index[at + 1]!,
      key: this.#view(at + 2),
      value: this.#view(at + 5),
      headers: NO_HEADERS,
    }
  }

  #hold(at: number, b: Buffer | null): void {
    if (b === null) {
      this.#index[at + 2] = NULL_LENGTH
      return
    }
    const memories = this.#memories
    const last = memories.length - 1
    if (last < 0 || memories[last] !== b.buffer) memories.push(b.buffer)
    this.#index[at] = memories.length - 1
    this.#index[at + 1] = b.byteOffset
    this.#index[at + 2] = b.length
  }

  #view(at: number): Buffer | null {
    const length = this.#index[at + 2]!
    if (length === NULL_LENGTH) return null
    return Buffer.from(this.#memories[this.#index[at]!]!, this.#index[at + 1]!, length)
  }
}
