import type { PartitionChanges, PartitionState } from './state-store.ts'

const tp = (topic: string, partition: number) => `${topic}\u0000${partition}`

/**
 * The in-process view of every assigned partition's state, and the changes made since the last
 * checkpoint. Operators read and write it synchronously; the checkpoint takes the changes and
 * writes them with the offsets, so state never runs ahead of the offsets it belongs to.
 */
export class PartitionStates {
  private readonly states = new Map<string, PartitionState>()
  private readonly changes = new Map<string, PartitionChanges>()
  /** Operators' in-process views of a partition's state (e.g. open windows), dropped with it. */
  private readonly locals = new Map<string, Map<string, unknown>>()

  has(topic: string, partition: number): boolean {
    return this.states.has(tp(topic, partition))
  }

  set(topic: string, partition: number, state: PartitionState): void {
    this.states.set(tp(topic, partition), state)
  }

  /** Forgets every partition not in `owned` (keys as `topic\u0000partition`): after a rebalance. */
  retainOnly(owned: ReadonlySet<string>): void {
    for (const k of [...this.states.keys()]) {
      if (!owned.has(k)) {
        this.states.delete(k)
        this.changes.delete(k)
        this.locals.delete(k)
      }
    }
  }

  get(topic: string, partition: number): PartitionState {
    const s = this.states.get(tp(topic, partition))
    if (!s) throw new Error(`state for ${topic}/${partition} was not loaded before its records arrived`)
    return s
  }

  /** The operator's view `name` of a partition, built from its loaded state on first use. */
  local<V>(topic: string, partition: number, name: string, create: (state: PartitionState) => V): V {
    const k = tp(topic, partition)
    let byName = this.locals.get(k)
    if (!byName) {
      byName = new Map()
      this.locals.set(k, byName)
    }
    if (!byName.has(name)) byName.set(name, create(this.get(topic, partition)))
    return byName.get(name) as V
  }

  /** Partitions with changes not yet checkpointed, e.g. windows an idle timeout closed. */
  withChanges(): { topic: string; partition: number }[] {
    return [...this.changes.keys()].map((k) => {
      const [topic, partition] = k.split('\u0000') as [string, string]
      return { topic, partition: Number(partition) }
    })
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
