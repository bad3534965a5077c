/**
 * The "20% garbage" dataset: the Avro topic's messages with every fifth one replaced by what a
 * misbehaving producer writes. Deterministic in the message index, so every run carries the same
 * garbage, in four kinds taken in turn: random bytes, the wire format's magic byte with a random
 * (unknown) schema id, an empty value, and (one garbage message in 1,000) a 200 KB blob.
 */

const GARBAGE_EVERY = 5
const BLOB_EVERY = 1_000
const BLOB_BYTES = 200 * 1024

/** xorshift32: cheap, deterministic bytes. */
function bytes(seed: number, length: number): Buffer {
  const out = Buffer.alloc(length)
  let x = (seed * 2654435761) >>> 0 || 1
  for (let i = 0; i < length; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    out[i] = x & 0xff
  }
  return out
}

/** The garbage that replaces message `j`, or null when message `j` is the clean one. */
export function garbageAt(j: number): Buffer | null {
  if (j % GARBAGE_EVERY !== GARBAGE_EVERY - 1) return null
  const g = Math.floor(j / GARBAGE_EVERY)
  if (g % BLOB_EVERY === BLOB_EVERY - 1) return bytes(j, BLOB_BYTES)
  switch (g % 3) {
    case 0: {
      // Never magic byte 0: that would be the next kind.
      const b = bytes(j, 16 + (j % 48))
      b[0] = 1 + (b[0]! % 255)
      return b
    }
    case 1: {
      const b = bytes(j, 40)
      b[0] = 0
      // Far above any id a test registry hands out, and distinct per message: the worst case.
      b.writeInt32BE(1_000_000_000 + (g % 1_000_000_000), 1)
      return b
    }
    default:
      return Buffer.alloc(0)
  }
}

/** Garbage messages among the first `messages`. */
export function garbageCount(messages: number): number {
  return Math.floor(messages / GARBAGE_EVERY)
}
