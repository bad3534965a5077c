import type { PartitionChanges, PartitionState } from './state-store.ts'

/** One key per input partition, for every per-partition map (state, offsets, windows, tallies). */
export function partitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`
}

export function parsePartitionKey(key: string): { topic: string; partition: number } {
  const at = key.lastIndexOf('\u0000')
  return { topic: key.slice(0, at), partition: Number(key.slice(at + 1)) }
}

const tp = partitionKey

/**
 * The in-process view of every assigned partition's state, and the changes made since the last
 * checkpoint. Operators read and write it synchronously; the checkpoint takes the changes and
 * writes them with the offsets, so state never runs ahead of the offsets it belongs to.
 */
export class PartitionStates {
  private readonly states = new Map<string, PartitionState>()
  private readonly changes = new Map<string, PartitionChanges>()

  has(topic: string, partition: number): boolean {
    return this.states.has(tp(topic, partition))
  }

  set(topic: string, partition: number, state: PartitionState): void {
    this.states.set(tp(topic, partition), state)
  }

  /** Forgets every partition not in `owned` (keys from `partitionKey`): after a rebalance. */
  retainOnly(owned: ReadonlySet<string>): void {
    for (const k of [...this.states.keys()]) {
      if (!owned.has(k)) {
        this.states.delete(k)
        this.changes.delete(k)
      }
    }
  }

  get(topic: string, partition: number): PartitionState {
    const s = this.states.get(tp(topic, partition))
    if (!s) throw new Error(`state for ${topic}/${partition} was not loaded before its records arrived`)
    return s
  }

  /** Partitions with changes not yet checkpointed, e.g. windows an idle timeout closed. */
  withChanges(): { topic: string; partition: number }[] {
    return [...this.changes.keys()].map(parsePartitionKey)
  }

  changesFor(topic: string, partition: number): PartitionChanges {
    const k = tp(topic, partition)
    let c = this.changes.get(k)
    if (!c) {
      c = { dedupAdd: [], kvPut: [], kvDelete: [], meta: {} }
      this.changes.set(k, c)
    }
    return c
  }

  /** Hands over (and forgets) the changes of one partition since the last checkpoint. */
  take(topic: string, partition: number): PartitionChanges {
    const c = this.changes.get(tp(topic, partition)) ?? { dedupAdd: [], kvPut: [], kvDelete: [], meta: {} }
    this.changes.delete(tp(topic, partition))
    return c
  }

  get size(): number {
    let n = 0
    for (const s of this.states.values()) n += s.dedup.size + s.kv.size
    return n
  }
}
