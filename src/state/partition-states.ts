import { parsePartitionKey, partitionKey } from '../records/partition.ts'
import { emptyChanges, type PartitionChanges, type PartitionState } from './state-store.ts'

const tp = partitionKey

/**
 * The in-process view of every assigned partition's state, and the changes made since the last
 * checkpoint. Operators read and write it synchronously; the checkpoint takes the changes and
 * writes them with the offsets, so state never runs ahead of the offsets it belongs to.
 */
export class PartitionStates {
  private readonly states = new Map<string, PartitionState>()
  private readonly changes = new Map<string, PartitionChanges>()
  // Operators look up state per record, and records come a partition's batch at a time: the last
  // lookup's answer saves building a key per record.
  private last: { topic: string; partition: number; state: PartitionState } | undefined
  private lastChanges: { topic: string; partition: number; changes: PartitionChanges } | undefined

  has(topic: string, partition: number): boolean {
    return this.states.has(tp(topic, partition))
  }

  set(topic: string, partition: number, state: PartitionState): void {
    this.states.set(tp(topic, partition), state)
    this.last = undefined
  }

  /** Forgets every partition not in `owned` (keys from `partitionKey`): after a rebalance. */
  retainOnly(owned: ReadonlySet<string>): void {
    for (const k of [...this.states.keys()]) {
      if (!owned.has(k)) {
        this.states.delete(k)
        this.changes.delete(k)
      }
    }
    this.last = undefined
    this.lastChanges = undefined
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

  get size(): number {
    let n = 0
    for (const s of this.states.values()) n += s.dedup.size + s.kv.size
    return n
  }
}
