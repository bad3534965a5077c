/**
 * The gold stage of a topology: one WindowAggregator per (input partition, gold), fed by a
 * per-partition watermark, checkpointed in that partition's state. Per partition, because state
 * moves with partitions on a rebalance, and because then a window closes on that partition's own
 * event time: a replay after a crash sees the same records in the same order and emits the same
 * rows. The one exception is the idle timeout, which is processing time by nature: an idle
 * partition's windows close at the watermark of the busy ones.
 *
 * Versions are the input offset just past the newest record a row reflects: they grow with every
 * emission of a window, and a replay that writes a row again writes it with the same version and
 * the same values, so ReplacingMergeTree keeps the right one whichever copy lands last.
 */

import { partitionKey as pid } from '../records/partition.ts'
import type { Envelope } from '../records/record.ts'
import type { PipelineStats } from '../records/stats.ts'
import type { PartitionStates } from '../state/partition-states.ts'
import type { PartitionState } from '../state/state-store.ts'
import { type GoldDeclaration, groupKeyOf } from './gold.ts'
import type { GoldRow } from './gold-row.ts'
import { WatermarkTracker } from './watermark.ts'
import { snapshotFromChanges, WindowAggregator } from './window-store.ts'

export interface GoldWindowsOptions<T> {
  readonly golds: readonly GoldDeclaration<T>[]
  readonly watermark: { readonly outOfOrderness: number; readonly idleTimeout: number }
  readonly states: PartitionStates
  readonly clock: () => number
  readonly stats: PipelineStats
  readonly emit: (gold: string, row: GoldRow) => void
  /** A record every window of which had closed for the named golds. */
  readonly late: (env: Envelope<T>, golds: readonly string[], watermark: number) => void
}

interface PartitionWindows<T> {
  readonly id: string
  readonly topic: string
  readonly partition: number
  readonly aggregators: readonly WindowAggregator<T>[]
  /** The checkpointed offset, until a record is added. */
  readonly restoredNext: number
  /** The newest record's offset, kept as given: parsed only when a row is emitted, not per record. */
  newest: string | null
}

const WATERMARK_META = 'watermark'
const kvPrefix = (gold: string) => `w:${gold}:`
const metaKey = (gold: string) => `w:${gold}`

export class GoldWindows<T> {
  readonly #opts: GoldWindowsOptions<T>
  readonly #keys: readonly ((v: T) => string)[]
  readonly #tracker: WatermarkTracker
  /**
   * Partitions restored from their loaded state. The pipeline calls `retainOnly` with
   * PartitionStates', so a partition that leaves and comes back is restored afresh.
   */
  readonly #partitions = new Map<string, PartitionWindows<T>>()
  /** Partitions whose windows changed since the last checkpoint. */
  readonly #dirty = new Set<string>()
  /** Records come a partition's batch at a time: the last one's lookup saves a key per record. */
  #last: PartitionWindows<T> | undefined

  constructor(opts: GoldWindowsOptions<T>) {
    this.#opts = opts
    this.#keys = opts.golds.map(groupKeyOf)
    this.#tracker = new WatermarkTracker({ ...opts.watermark, now: opts.clock })
  }

  add(env: Envelope<T>): void {
    const { topic, partition, offset } = env.source
    const last = this.#last
    const p =
      last !== undefined && last.partition === partition && last.topic === topic
        ? last
        : this.#partition(pid(topic, partition), topic, partition)
    this.#last = p
    const id = p.id
    const watermark = this.#tracker.observe(id, env.eventTime)
    let lateFor: string[] | undefined
    const { aggregators } = p
    for (let i = 0; i < aggregators.length; i++) {
      if (aggregators[i]!.add(env.value, this.#keys[i]!(env.value), env.eventTime, watermark).late) {
        lateFor ??= []
        lateFor.push(this.#opts.golds[i]!.name)
      }
    }
    p.newest = offset
    this.#dirty.add(id)
    if (lateFor) {
      this.#opts.stats.late++
      this.#opts.late(env, lateFor, watermark)
    }
  }

  /** After a batch: emits what the partitions' own watermarks closed. */
  closeDirty(): void {
    for (const id of this.#dirty) {
      const p = this.#partitions.get(id)
      if (p) this.#close(p, this.#tracker.partitionWatermark(id))
    }
  }

  /** After a batch: records still behind the partition's high watermark keep it from counting as idle. */
  backlog(topic: string, partition: number, records: number): void {
    this.#tracker.backlog(pid(topic, partition), records)
  }

  /** On a processing-time tick: idle partitions close up to the busy partitions' watermark. */
  closeIdle(): void {
    const overall = this.#tracker.current()
    for (const [id, p] of this.#partitions) {
      if (!this.#tracker.isIdle(id)) continue
      const watermark = Math.max(this.#tracker.partitionWatermark(id), overall)
      if (p.aggregators.some((a) => a.openWindows > 0 && watermark > a.watermark)) {
        this.#close(p, watermark)
        this.#dirty.add(id)
      }
    }
  }

  /**
   * The end of a bounded input (a reprocess): every open window closes, whatever the watermark. A
   * window of an unbounded input must never be closed this way: its later records would be late.
   */
  closeAll(): void {
    for (const [id, p] of this.#partitions) {
      this.#close(p, Number.POSITIVE_INFINITY)
      this.#dirty.add(id)
    }
  }

  /**
   * Before a checkpoint: early results for golds that want them, then every change since the last
   * checkpoint into the partitions' pending state changes, to be written with their offsets.
   */
  checkpoint(): void {
    for (const id of this.#dirty) {
      const p = this.#partitions.get(id)
      if (!p) continue
      const changes = this.#opts.states.changesFor(p.topic, p.partition)
      for (const [i, agg] of p.aggregators.entries()) {
        const gold = this.#opts.golds[i]!
        if (gold.emit === 'updates') {
          // A copy: the open window keeps changing its accumulators in place.
          for (const r of agg.updates())
            this.#row(gold.name, p, r.key, r.start, r.end, structuredClone(r.accs))
        }
        for (const r of agg.takeRetractions()) this.#row(gold.name, p, r.key, r.start, r.end, null)
        const c = agg.takeChanges()
        const prefix = kvPrefix(gold.name)
        for (const [wid, entry] of Object.entries(c.upserts)) changes.kvPut.push([prefix + wid, entry])
        for (const wid of c.deletes) changes.kvDelete.push(prefix + wid)
        changes.meta[metaKey(gold.name)] = c.meta
      }
      const maxEventTime = this.#tracker.partitionWatermark(id) + this.#tracker.outOfOrdernessMs
      if (Number.isFinite(maxEventTime)) changes.meta[WATERMARK_META] = String(maxEventTime)
    }
    this.#dirty.clear()
  }

  /** Partitions handed to another member: their new owner restores them from the checkpoint. */
  retainOnly(owned: ReadonlySet<string>): void {
    const gone = [...this.#partitions.keys()].filter((id) => !owned.has(id))
    this.#last = undefined
    for (const id of gone) {
      this.#partitions.delete(id)
      this.#dirty.delete(id)
    }
    this.#tracker.revoke(gone)
  }

  /** For the state metrics. */
  report(): {
    openWindows: Map<string, number>
    watermarks: { topic: string; partition: number; lagMs: number }[]
  } {
    const openWindows = new Map(this.#opts.golds.map((g) => [g.name, 0]))
    const watermarks = []
    for (const [id, p] of this.#partitions) {
      for (const [i, agg] of p.aggregators.entries()) {
        const name = this.#opts.golds[i]!.name
        openWindows.set(name, openWindows.get(name)! + agg.openWindows)
      }
      watermarks.push({ topic: p.topic, partition: p.partition, lagMs: this.#tracker.lagMs(id) })
    }
    return { openWindows, watermarks }
  }

  #partition(id: string, topic: string, partition: number): PartitionWindows<T> {
    const loaded = this.#partitions.get(id)
    if (loaded) return loaded
    const state = this.#opts.states.get(topic, partition)
    const p: PartitionWindows<T> = {
      id,
      topic,
      partition,
      aggregators: this.#opts.golds.map((g) => restore(g, state)),
      restoredNext: Number(state.offset ?? 0),
      newest: null,
    }
    const max = state.meta[WATERMARK_META]
    if (max !== undefined) this.#tracker.observe(id, Number(max))
    this.#partitions.set(id, p)
    return p
  }

  #close(p: PartitionWindows<T>, watermark: number): void {
    for (const [i, agg] of p.aggregators.entries()) {
      const name = this.#opts.golds[i]!.name
      for (const r of agg.closeUpTo(watermark)) this.#row(name, p, r.key, r.start, r.end, r.accs)
    }
  }

  #row(
    gold: string,
    p: PartitionWindows<T>,
    key: string,
    start: number,
    end: number,
    accs: GoldRow['accs'],
  ): void {
    // Offsets stay far below 2^53, so a Number holds them exactly.
    const version = p.newest === null ? p.restoredNext : Number(p.newest) + 1
    this.#opts.emit(gold, { topic: p.topic, partition: p.partition, key, start, end, version, accs })
  }
}

/** The gold's windows as the checkpoint left them; their kv entries are not kept twice. */
function restore<T>(g: GoldDeclaration<T>, state: PartitionState): WindowAggregator<T> {
  const agg = new WindowAggregator<T>({ window: g.window, aggregate: g.aggregate })
  const meta = state.meta[metaKey(g.name)]
  if (meta === undefined) return agg
  const prefix = kvPrefix(g.name)
  const entries: string[] = []
  for (const [k, v] of state.kv) {
    if (!k.startsWith(prefix)) continue
    entries.push(v)
    state.kv.delete(k)
  }
  agg.restore(snapshotFromChanges(meta, entries))
  return agg
}
