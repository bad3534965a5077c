import { hasHeaders, type KafkaRecord } from '../records/record.ts'

const FIRST_BYTES = 64 * 1024
const FIRST_RECORDS = 1024
/** Per record in the index: offset, timestamp, where its key starts in the bytes. */
const FIELDS = 3
const NULL_LENGTH = -1
const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze(Object.create(null))

/**
 * The input records behind one partition's rows of an epoch, kept for the rare row the server
 * refuses (it goes to quarantine as the record it came from). Kept as objects, they were ~1M live
 * records per epoch that the garbage collector traced and moved into the old generation for nothing
 * (0.3-0.4 CPU s per million events in the full bench, ~4%); here their keys and values are
 * copied into one off-heap buffer and their offsets and timestamps into a typed array, and a record
 * is made again only when asked for. Records with headers (rare, and their header list is needed
 * as received) and offsets past 2^53 are kept as they are.
 */
export class RecordArena {
  #topic = ''
  #partition = 0
  #count = 0
  // Allocated on the first record: most sinks' buckets never keep one (only silver routes refusals).
  #index = new Float64Array(0)
  #bytes = Buffer.alloc(0)
  #at = 0
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
    this.#index[at + 2] = this.#at
    this.#put(r.key)
    this.#put(r.value)
  }

  /** The i-th record added, equal to it (its key and value are copies). */
  get(i: number): KafkaRecord {
    const whole = this.#whole.get(i)
    if (whole !== undefined) return whole
    const at = i * FIELDS
    let pos = this.#index[at + 2]!
    const key = this.#read(pos)
    pos += 4 + (key?.length ?? 0)
    return {
      topic: this.#topic,
      partition: this.#partition,
      offset: String(this.#index[at]),
      timestamp: this.#index[at + 1]!,
      key,
      value: this.#read(pos),
      headers: NO_HEADERS,
    }
  }

  #put(b: Buffer | null): void {
    const need = 4 + (b?.length ?? 0)
    if (this.#at + need > this.#bytes.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.#bytes.length * 2, this.#at + need, FIRST_BYTES))
      this.#bytes.copy(grown, 0, 0, this.#at)
      this.#bytes = grown
    }
    this.#bytes.writeInt32LE(b === null ? NULL_LENGTH : b.length, this.#at)
    this.#at += 4
    if (b !== null) {
      this.#bytes.set(b, this.#at)
      this.#at += b.length
    }
  }

  #read(pos: number): Buffer | null {
    const length = this.#bytes.readInt32LE(pos)
    // Written bytes are never written over (growing copies them to a new buffer): a view is safe.
    return length === NULL_LENGTH ? null : this.#bytes.subarray(pos + 4, pos + 4 + length)
  }
}
