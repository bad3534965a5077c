import type { PartitionCommit } from './state-store.ts'

/**
 * The payload of a checkpoint in UTF-8 bytes: every key, value, expiry (as its decimal text) and
 * offset. Counted from the changes rather than from the wire so every store reports the same number
 * and a benchmark can compare state volume across stores.
 */
export function checkpointBytes(batch: readonly PartitionCommit[]): number {
  let bytes = 0
  for (const { changes, offset } of batch) {
    bytes += changes.dedupAdd.bytes
    for (const [key, value] of changes.kvPut) bytes += utf8Length(key) + utf8Length(value)
    for (const key of changes.kvDelete) bytes += utf8Length(key)
    for (const [field, value] of Object.entries(changes.meta)) bytes += utf8Length(field) + utf8Length(value)
    bytes += utf8Length(offset)
  }
  return bytes
}

/**
 * `Buffer.byteLength(s, 'utf8')`, counted in JS: a dedup key is a few dozen characters, and a native
 * call plus the expiry's text per key cost more than the count.
 */
export function utf8Length(s: string): number {
  let bytes = s.length
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x80) continue
    if (c < 0x800) bytes += 1
    else {
      bytes += 2
      // A surrogate pair is 4 bytes for its 2 units; a lone surrogate is U+FFFD, 3 bytes.
      if (c >= 0xd800 && c <= 0xdbff) {
        const next = s.charCodeAt(i + 1)
        if (next >= 0xdc00 && next <= 0xdfff) i++
      }
    }
  }
  return bytes
}

/** `String(n).length` without making the string, for the integers expiries are. */
export function decimalLength(n: number): number {
  // Today's epoch milliseconds, the usual expiry, without the loop.
  if (n >= 1e12 && n < 1e13 && Number.isInteger(n)) return 13
  if (!Number.isSafeInteger(n)) return String(n).length
  let digits = n < 0 ? 2 : 1
  const abs = Math.abs(n)
  for (let p = 10; p <= abs; p *= 10) digits++
  return digits
}
