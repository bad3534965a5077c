import { utf8Length } from './checkpoint-bytes.ts'

/**
 * The dedup keys an engine holds in memory, in a fixed budget: a 64-bit hash of each key, the
 * partition it belongs to and its expiry, in typed arrays (off the JS heap, so the garbage collector
 * neither scans them nor sizes the heap after them). A Map of strings cost ~80 bytes of heap per key
 * and grew with every key of the retention; this costs 20 bytes per slot and never grows.
 *
 * Two generations of half the budget each: keys go into the current one; when it is full the
 * previous one (the older half) is dropped and the current one takes its place. So the newest keys
 * are always kept, at most `maxKeys` are held, and what is dropped is counted as evicted (when still
 * live). No entry is ever deleted in place, so open addressing needs no tombstones.
 *
 * Partitions are told apart by a tag (> 0) the caller gives each loaded partition: entries of a tag
 * no longer used (a partition given away, then loaded again under a new tag) never match again and
 * leave with their generation.
 */
/** `dedup.maxKeysInMemory`'s default: ~42 MB of table (README, Configuration). */
export const DEFAULT_MAX_DEDUP_KEYS = 1_000_000

export class DedupTable {
  readonly maxKeys: number
  #current: Generation
  #previous: Generation
  #evicted = 0

  constructor(maxKeys: number) {
    if (!Number.isSafeInteger(maxKeys) || maxKeys < 2)
      throw new RangeError(`a dedup table holds at least 2 keys, not ${maxKeys}`)
    this.maxKeys = maxKeys
    const half = Math.floor(maxKeys / 2)
    this.#current = new Generation(half)
    this.#previous = new Generation(half)
  }

  /**
   * The UTF-8 length of the key the last call hashed: the checkpoint counts its bytes
   * (DedupAdds), and the hash loop has just seen whether it is ASCII (its length then).
   */
  get lastKeyBytes(): number {
    return HASH.ascii ? lastKey.length : utf8Length(lastKey)
  }

  /** Keys held (live or expired, until their generation is dropped); never above `maxKeys`. */
  get size(): number {
    return this.#current.size + this.#previous.size
  }

  /** Live keys dropped to stay within `maxKeys`, since start. */
  get evicted(): number {
    return this.#evicted
  }

  /** The key's expiry (epoch ms) if held for this tag, else undefined. */
  get(tag: number, key: string): number | undefined {
    hashInto(key)
    return this.#held(tag, HASH.hi, HASH.lo, this.#current.slotOf(tag, HASH.hi, HASH.lo))
  }

  /** Holds the key until `expiresAt`; `now` tells which dropped keys were still live. */
  set(tag: number, key: string, expiresAt: number, now: number): void {
    checkTag(tag)
    hashInto(key)
    const { hi, lo } = HASH
    this.#store(tag, hi, lo, this.#current.slotOf(tag, hi, lo), expiresAt, now)
  }

  /**
   * The dedup decision, hashing and probing once: false when the key is held and still live at
   * `now` (a duplicate); otherwise it is held until `expiresAt` and the answer is true.
   */
  admit(tag: number, key: string, now: number, expiresAt: number): boolean {
    checkTag(tag)
    hashInto(key)
    const { hi, lo } = HASH
    const slot = this.#current.slotOf(tag, hi, lo)
    const held = this.#held(tag, hi, lo, slot)
    if (held !== undefined && held > now) return false
    this.#store(tag, hi, lo, slot, expiresAt, now)
    return true
  }

  #held(tag: number, hi: number, lo: number, slot: number): number | undefined {
    return this.#current.holds(slot) ? this.#current.expiry(slot) : this.#previous.get(tag, hi, lo)
  }

  /** `slot` is the key's slot in the current generation, from `slotOf`. */
  #store(tag: number, hi: number, lo: number, slot: number, expiresAt: number, now: number): void {
    if (this.#current.holds(slot)) {
      this.#current.setExpiry(slot, expiresAt)
      return
    }
    if (this.#current.full) {
      this.#evicted += this.#previous.live(now)
      const dropped = this.#previous
      dropped.clear()
      this.#previous = this.#current
      this.#current = dropped
      slot = this.#current.slotOf(tag, hi, lo)
    }
    this.#current.put(slot, tag, hi, lo, expiresAt)
  }
}

function checkTag(tag: number): void {
  if (!(tag > 0)) throw new RangeError(`dedup tags are > 0, not ${tag}`)
}

/** One open-addressing (linear probing) table of `capacity` entries, at most 3/4 full. */
class Generation {
  readonly capacity: number
  size = 0
  readonly #mask: number
  /** 0: empty slot. */
  readonly #tags: Uint32Array
  readonly #hi: Uint32Array
  readonly #lo: Uint32Array
  readonly #expires: Float64Array

  constructor(capacity: number) {
    this.capacity = capacity
    let slots = 4
    while (slots * 3 < capacity * 4) slots *= 2
    this.#mask = slots - 1
    this.#tags = new Uint32Array(slots)
    this.#hi = new Uint32Array(slots)
    this.#lo = new Uint32Array(slots)
    this.#expires = new Float64Array(slots)
  }

  get full(): boolean {
    return this.size >= this.capacity
  }

  get(tag: number, hi: number, lo: number): number | undefined {
    const i = this.slotOf(tag, hi, lo)
    return this.holds(i) ? this.#expires[i] : undefined
  }

  /** The key's slot, or the empty slot where it would go (there is always one: at most 3/4 full). */
  slotOf(tag: number, hi: number, lo: number): number {
    let i = (lo ^ tag) & this.#mask
    for (;;) {
      const t = this.#tags[i]!
      if (t === 0 || (t === tag && this.#hi[i] === hi && this.#lo[i] === lo)) return i
      i = (i + 1) & this.#mask
    }
  }

  /** Whether `slot` (from `slotOf`) holds the key, rather than being where it would go. */
  holds(slot: number): boolean {
    return this.#tags[slot] !== 0
  }

  expiry(slot: number): number {
    return this.#expires[slot]!
  }

  setExpiry(slot: number, expiresAt: number): void {
    this.#expires[slot] = expiresAt
  }

  /** Adds a key at its empty slot (from `slotOf`); the caller made room. */
  put(slot: number, tag: number, hi: number, lo: number, expiresAt: number): void {
    this.#tags[slot] = tag
    this.#hi[slot] = hi
    this.#lo[slot] = lo
    this.#expires[slot] = expiresAt
    this.size++
  }

  live(now: number): number {
    let n = 0
    for (let i = 0; i <= this.#mask; i++) if (this.#tags[i] !== 0 && this.#expires[i]! > now) n++
    return n
  }

  clear(): void {
    this.#tags.fill(0)
    this.size = 0
  }
}

/**
 * A 64-bit hash of a string's UTF-16 code units, as two 32-bit halves (two multiply-xorshift lanes
 * with a final avalanche, after cyrb53, keeping all 64 bits). Not cryptographic: keys come from the
 * producer, and a collision costs one wrongly dropped record (README: the odds).
 */
export function hash64(key: string): [hi: number, lo: number] {
  hashInto(key)
  return [HASH.hi, HASH.lo]
}

/**
 * hash64's result without an array per call (the dedup operator hashes every record), and whether
 * the key is ASCII, seen on the way.
 */
const HASH = { hi: 0, lo: 0, ascii: true }
let lastKey = ''

function hashInto(key: string): void {
  let h1 = 0xdeadbeef
  let h2 = 0x41c6ce57
  let units = 0
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i)
    units |= c
    h1 = Math.imul(h1 ^ c, 2654435761)
    h2 = Math.imul(h2 ^ c, 1597334677)
  }
  HASH.ascii = units < 0x80
  lastKey = key
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909)
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909)
  HASH.hi = h1 >>> 0
  HASH.lo = h2 >>> 0
}
