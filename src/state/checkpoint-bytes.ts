import type { PartitionCommit } from './state-store.ts'

/**
 * The payload of a checkpoint in UTF-8 bytes: every key, value, expiry (as its decimal text) and
 * offset. Counted from the changes rather than from the wire so every store reports the same number
 * and a benchmark can compare state volume across stores.
 */
export function checkpointBytes(batch: readonly PartitionCommit[]): number {
  let bytes = 0
  for (const { changes, offset } of batch) {
    for (const [key, expiresAt] of changes.dedupAdd) bytes += utf8(key) + utf8(String(expiresAt))
    for (const [key, value] of changes.kvPut) bytes += utf8(key) + utf8(value)
    for (const key of changes.kvDelete) bytes += utf8(key)
    for (const [field, value] of Object.entries(changes.meta)) bytes += utf8(field) + utf8(value)
    bytes += utf8(offset)
  }
  return bytes
}

function utf8(s: string): number {
  return Buffer.byteLength(s, 'utf8')
}
