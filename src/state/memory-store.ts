import { checkpointBytes } from './checkpoint-bytes.ts'
import type { PartitionCommit, PartitionRef, PartitionState, StateStore } from './state-store.ts'
import { checkCommit, checkNow, checkRef } from './validate.ts'

interface Stored {
  offset: string | null
  dedup: Map<string, number>
  kv: Map<string, string>
  meta: Map<string, string>
}

/**
 * The in-process twin of the Redis store, with the same semantics (checked by the shared contract
 * test), for the test driver and unit tests. State lives only as long as the object.
 */
export class MemoryStateStore implements StateStore {
  readonly #partitions = new Map<string, Stored>()

  async load(p: PartitionRef, now: number): Promise<PartitionState> {
    checkRef(p)
    checkNow(now)
    const s = this.#partitions.get(identity(p))
    // Copies, so a caller mutating what it loaded cannot change the store behind a commit.
    return {
      offset: s?.offset ?? null,
      dedup: new Map([...(s?.dedup ?? [])].filter(([, expiresAt]) => now < expiresAt)),
      kv: new Map(s?.kv),
      meta: Object.fromEntries(s?.meta ?? []),
    }
  }

  async commit(batch: PartitionCommit[], now: number): Promise<{ bytes: number }> {
    // All validated before any is applied, as the Redis store does before it sends.
    checkNow(now)
    for (const c of batch) checkCommit(c)
    for (const { ref, changes, offset } of batch) {
      const id = identity(ref)
      const s = this.#partitions.get(id) ?? { offset: null, dedup: new Map(), kv: new Map(), meta: new Map() }
      this.#partitions.set(id, s)
      for (const [key, expiresAt] of changes.dedupAdd) s.dedup.set(key, expiresAt)
      for (const [key, expiresAt] of s.dedup) if (expiresAt <= now) s.dedup.delete(key)
      for (const [key, value] of changes.kvPut) s.kv.set(key, value)
      for (const key of changes.kvDelete) s.kv.delete(key)
      for (const [field, value] of Object.entries(changes.meta)) s.meta.set(field, value)
      s.offset = offset
    }
    return { bytes: checkpointBytes(batch) }
  }

  async clear(p: PartitionRef): Promise<void> {
    checkRef(p)
    this.#partitions.delete(identity(p))
  }

  async close(): Promise<void> {}
}

function identity(p: PartitionRef): string {
  return `${p.topology}|${p.topic}|${p.partition}`
}
