import { parsePartitionKey, partitionKey } from '../records/partition.ts'
import { DEFAULT_MAX_DEDUP_KEYS, DedupTable } from './dedup-table.ts'
import { emptyChanges, type PartitionChanges, type PartitionState } from './state-store.ts'

const tp = partitionKey

/**
 * The in-process view of every assigned partition's state, and the changes made since the last
 * checkpoint. Operators read and write it synchronously; the checkpoint takes the changes and
 * writes them with the offsets, so state never runs ahead of the offsets it belongs to.
 *
 * Dedup keys of all partitions share one DedupTable of `maxDedupKeys`: the newest are held, older
 * ones are evicted (counted) from memory only; the store keeps every key for its retention.
 */
export class PartitionStates {
  readonly maxDedupKeys: number
  private readonly states = new Map<string, PartitionState>()
  /** Each loaded partition's DedupTable tag: a partition loaded again gets a new one. */
  private readonly tags = new Map<string, number>()
  private lastTag = 0
  /** Partitions this member owns, as of the last assignment (1 until one arrived). */
  private owned = 1
  /** Allocated on the first dedup key: stateless and window-only topologies need none. */
  private table: DedupTable | undefined
  private readonly changes = new Map<string, PartitionChanges>()
  // Operators look up state per record, and records come a partition's batch at a time: the last
  // lookup's answer saves building a key per record.
  private last: { topic: string; partition: number; state: PartitionState } | undefined
  private lastChanges: { topic: string; partition: number; changes: PartitionChanges } | undefined
  private lastTagged: { topic: string; partition: number; tag: number } | undefined

  constructor(opts: { maxDedupKeys?: number } = {}) {
    this.maxDedupKeys = opts.maxDedupKeys ?? DEFAULT_MAX_DEDUP_KEYS
  }

  has(topic: string, partition: number): boolean {
    return this.states.has(tp(topic, partition))
  }

  /** Takes a loaded state over; its dedup keys move into the table (the loaded map is emptied). */
  set(topic: string, partition: number, state: PartitionState): void {
    this.states.set(tp(topic, partition), state)
    const tag = ++this.lastTag
    this.tags.set(tp(topic, partition), tag)
    this.last = undefined
    this.lastTagged = undefined
    if (state.dedup.size > 0) {
      const table = this.dedupTable()
      // Loaded keys are live (the store filtered them), whatever the clock says.
      for (const [key, expiresAt] of state.dedup) table.set(tag, key, expiresAt, Number.NEGATIVE_INFINITY)
      state.dedup.clear()
    }
  }

  /** The key's expiry if this partition's dedup holds it in memory. */
  seen(topic: string, partition: number, key: string): number | undefined {
    return this.table?.get(this.tagOf(topic, partition), key)
  }

  /**
   * The dedup decision for this partition: false for a key held and live at `now`; otherwise the
   * key is held until `expiresAt` and recorded as a change for the next checkpoint.
   */
  admit(topic: string, partition: number, key: string, now: number, expiresAt: number): boolean {
    const table = this.dedupTable()
    if (!table.admit(this.tagOf(topic, partition), key, now, expiresAt)) return false
    this.changesFor(topic, partition).dedupAdd.add(key, expiresAt, table.lastKeyBytes)
    return true
  }

  /**
   * Dedup keys to load per partition: together at most half the bound, so loading one partition
   * never pushes out another's loaded keys (they are older than any new key, and go first).
   */
  get dedupLoadLimit(): number {
    return Math.max(1, Math.floor(this.maxDedupKeys / 2 / this.owned))
  }

  /** Dedup keys held in memory, the bound, and live keys evicted to stay within it since start. */
  dedup(): { keys: number; maxKeys: number; evicted: number } {
    return { keys: this.table?.size ?? 0, maxKeys: this.maxDedupKeys, evicted: this.table?.evicted ?? 0 }
  }

  private dedupTable(): DedupTable {
    this.table ??= new DedupTable(this.maxDedupKeys)
    return this.table
  }

  private tagOf(topic: string, partition: number): number {
    const last = this.lastTagged
    if (last !== undefined && last.partition === partition && last.topic === topic) return last.tag
    const tag = this.tags.get(tp(topic, partition))
    if (tag === undefined)
      throw new Error(`state for ${topic}/${partition} was not loaded before its records arrived`)
    this.lastTagged = { topic, partition, tag }
    return tag
  }

  /** Forgets every partition not in `owned` (keys from `partitionKey`): after a rebalance. */
  retainOnly(owned: ReadonlySet<string>): void {
    this.owned = Math.max(1, owned.size)
    for (const k of [...this.states.keys()]) {
      if (!owned.has(k)) {
        this.states.delete(k)
        this.changes.delete(k)
        // Its keys in the table never match again (a reload gets a new tag) and age out.
        this.tags.delete(k)
      }
    }
    this.last = undefined
    this.lastChanges = undefined
    this.lastTagged = undefined
  }

  get(topic: string, partition: number): PartitionState {
    const last = this.last
    if (last !== undefined && last.partition === partition && last.topic === topic) return last.state
    const state = this.states.get(tp(topic, partition))
    if (!state) throw new Error(`state for ${topic}/${partition} was not loaded before its records arrived`)
    this.last = { topic, partition, state }
    return state
  }

  /** Partitions with changes not yet checkpointed, e.g. windows an idle timeout closed. */
  withChanges(): { topic: string; partition: number }[] {
    return [...this.changes.keys()].map(parsePartitionKey)
  }

  changesFor(topic: string, partition: number): PartitionChanges {
    const last = this.lastChanges
    if (last !== undefined && last.partition === partition && last.topic === topic) return last.changes
    const k = tp(topic, partition)
    let changes = this.changes.get(k)
    if (!changes) {
      changes = emptyChanges()
      this.changes.set(k, changes)
    }
    this.lastChanges = { topic, partition, changes }
    return changes
  }

  /** Hands over (and forgets) the changes of one partition since the last checkpoint. */
  take(topic: string, partition: number): PartitionChanges {
    const c = this.changes.get(tp(topic, partition)) ?? emptyChanges()
    this.changes.delete(tp(topic, partition))
    if (this.lastChanges?.changes === c) this.lastChanges = undefined
    return c
  }

  /** Keys held in memory: dedup keys (at most maxDedupKeys) and keyed state. */
  get size(): number {
    let n = this.table?.size ?? 0
    for (const s of this.states.values()) n += s.kv.size
    return n
  }
}
