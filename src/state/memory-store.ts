import { TributaryError } from '../errors/tributary-error.ts'
import { checkpointBytes } from './checkpoint-bytes.ts'
import {
  liveDedup,
  type PartitionCommit,
  type PartitionRef,
  type PartitionState,
  type StateStore,
} from './state-store.ts'
import { checkCommit, checkNow, checkRef, describeRef } from './validate.ts'

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
  /** The latest claim per partition. */
  readonly #owners = new Map<string, number>()

  async load(
    p: PartitionRef,
    now: number,
    opts: { claim?: boolean; dedupLimit?: number } = {},
  ): Promise<PartitionState> {
    checkRef(p)
    checkNow(now)
    const id = identity(p)
    const owner = opts.claim ? (this.#owners.get(id) ?? 0) + 1 : undefined
    if (owner !== undefined) this.#owners.set(id, owner)
    const s = this.#partitions.get(id)
    // Copies, so a caller mutating what it loaded cannot change the store behind a commit.
    return {
      offset: s?.offset ?? null,
      dedup: liveDedup(s?.dedup ?? [], now, opts.dedupLimit),
      kv: new Map(s?.kv),
      meta: Object.fromEntries(s?.meta ?? []),
      ...(owner === undefined ? {} : { owner }),
    }
  }

  async commit(batch: PartitionCommit[], now: number): Promise<{ bytes: number }> {
    // All validated before any is applied, as the Redis store does before it sends.
    checkNow(now)
    for (const c of batch) checkCommit(c)
    const fenced = batch.filter((c) => c.owner !== undefined && this.#owners.get(identity(c.ref)) !== c.owner)
    for (const { ref, changes, offset } of batch.filter((c) => !fenced.includes(c))) {
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
    if (fenced.length > 0)
      throw new TributaryError(
        'STATE_FENCED',
        fenced
          .map(
            (c) =>
              `checkpoint of ${describeRef(c.ref)} refused: partition claimed by generation ${this.#owners.get(identity(c.ref)) ?? 'none'}, this member holds ${c.owner}; another member owns it now`,
          )
          .join('\n'),
      )
    return { bytes: checkpointBytes(batch) }
  }

  async clear(p: PartitionRef): Promise<void> {
    checkRef(p)
    this.#partitions.delete(identity(p))
    this.#owners.delete(identity(p))
  }

  async close(): Promise<void> {}
}

function identity(p: PartitionRef): string {
  return `${p.topology}|${p.topic}|${p.partition}`
}
