/**
 * Event-time progress across the input partitions. Each partition's watermark trails the newest
 * event time it delivered by `outOfOrderness`; the overall watermark is the slowest partition's,
 * because any partition may still deliver records that old. A partition that has delivered nothing
 * for `idleTimeout` of processing time stops counting, or one quiet partition would hold every
 * window open forever; it counts again from its next record. A partition with a backlog (records
 * behind its high watermark the consumer has not fetched yet) is never idle: it is starved, not
 * quiet, and its records will come.
 */
import { type Duration, parseDuration } from './durations.ts'

export type PartitionId = number | string

export interface WatermarkOptions {
  /** How far behind the newest event a record may arrive and still be on time. */
  readonly outOfOrderness: Duration
  readonly idleTimeout: Duration
  /** Processing-time clock, epoch ms. Default `Date.now`. */
  readonly now?: () => number
}

/** A checkpoint. `null` stands for "no record yet", which JSON cannot write as -Infinity. */
export interface WatermarkState {
  readonly v: 1
  readonly partitions: Readonly<Record<string, { readonly maxEventTime: number | null }>>
  readonly emitted: number | null
}

interface PartitionProgress {
  maxEventTime: number
  lastSeenAt: number
  /** Records behind the partition's high watermark, as the source last reported. */
  backlog: number
}

export class WatermarkTracker {
  readonly outOfOrdernessMs: number
  readonly idleTimeoutMs: number
  readonly #now: () => number
  readonly #partitions = new Map<string, PartitionProgress>()
  /** The overall watermark never goes back: windows it already closed must stay closed. */
  #emitted = Number.NEGATIVE_INFINITY

  constructor(opts: WatermarkOptions) {
    this.outOfOrdernessMs = parseDuration(opts.outOfOrderness, 'watermark.outOfOrderness')
    this.idleTimeoutMs = parseDuration(opts.idleTimeout, 'watermark.idleTimeout')
    this.#now = opts.now ?? Date.now
  }

  /**
   * Start waiting for partitions the consumer was just given, before their first record: without
   * this the partitions that happen to deliver first would advance the watermark alone.
   */
  assign(partitions: Iterable<PartitionId>): void {
    const now = this.#now()
    for (const p of partitions) {
      if (!this.#partitions.has(String(p))) {
        this.#partitions.set(String(p), {
          maxEventTime: Number.NEGATIVE_INFINITY,
          lastSeenAt: now,
          backlog: 0,
        })
      }
    }
  }

  /** A partition handed to another consumer on a rebalance no longer holds this one back. */
  revoke(partitions: Iterable<PartitionId>): void {
    for (const p of partitions) this.#partitions.delete(String(p))
  }

  /** Returns the partition's watermark after this record (what `partitionWatermark` would say). */
  observe(partition: PartitionId, eventTime: number): number {
    const key = String(partition)
    const now = this.#now()
    let progress = this.#partitions.get(key)
    if (progress === undefined) {
      progress = { maxEventTime: eventTime, lastSeenAt: now, backlog: 0 }
      this.#partitions.set(key, progress)
    } else {
      if (eventTime > progress.maxEventTime) progress.maxEventTime = eventTime
      progress.lastSeenAt = now
    }
    return progress.maxEventTime - this.outOfOrdernessMs
  }

  /**
   * What the source says after a batch: `records` are still behind the partition's high
   * watermark. A partition not seen yet starts holding the watermark back from here.
   */
  backlog(partition: PartitionId, records: number): void {
    const key = String(partition)
    const progress = this.#partitions.get(key)
    if (progress) progress.backlog = records
    else if (records > 0)
      this.#partitions.set(key, {
        maxEventTime: Number.NEGATIVE_INFINITY,
        lastSeenAt: this.#now(),
        backlog: records,
      })
  }

  #active(p: PartitionProgress, now: number): boolean {
    return p.backlog > 0 || now - p.lastSeenAt < this.idleTimeoutMs
  }

  /** -Infinity until a record arrives. */
  current(): number {
    let slowestActive = Number.POSITIVE_INFINITY
    let fastest = Number.NEGATIVE_INFINITY
    const now = this.#now()
    for (const p of this.#partitions.values()) {
      const wm = p.maxEventTime - this.outOfOrdernessMs
      if (wm > fastest) fastest = wm
      if (this.#active(p, now) && wm < slowestActive) slowestActive = wm
    }
    const candidate = slowestActive === Number.POSITIVE_INFINITY ? fastest : slowestActive
    if (candidate > this.#emitted) this.#emitted = candidate
    return this.#emitted
  }

  /** -Infinity for a partition with no record yet. */
  partitionWatermark(partition: PartitionId): number {
    const p = this.#partitions.get(String(partition))
    return p === undefined ? Number.NEGATIVE_INFINITY : p.maxEventTime - this.outOfOrdernessMs
  }

  isIdle(partition: PartitionId): boolean {
    const p = this.#partitions.get(String(partition))
    return p === undefined || !this.#active(p, this.#now())
  }

  /** Processing time minus the partition's watermark (Infinity before its first record): the gauge to alert on. */
  lagMs(partition: PartitionId): number {
    return this.#now() - this.partitionWatermark(partition)
  }

  toJSON(): WatermarkState {
    const partitions: Record<string, { maxEventTime: number | null }> = {}
    for (const key of [...this.#partitions.keys()].sort()) {
      const t = this.#partitions.get(key)!.maxEventTime
      partitions[key] = { maxEventTime: Number.isFinite(t) ? t : null }
    }
    return { v: 1, partitions, emitted: Number.isFinite(this.#emitted) ? this.#emitted : null }
  }

  /**
   * Restored partitions count as just seen: processing time spent down is no sign a partition went
   * quiet, and treating every partition as idle at start-up would close windows too early.
   */
  static fromJSON(state: WatermarkState | string, opts: WatermarkOptions): WatermarkTracker {
    const s: WatermarkState = typeof state === 'string' ? JSON.parse(state) : state
    if (s.v !== 1) throw new RangeError(`unknown watermark checkpoint version ${String(s.v)}`)
    const tracker = new WatermarkTracker(opts)
    const now = tracker.#now()
    for (const [key, p] of Object.entries(s.partitions)) {
      tracker.#partitions.set(key, {
        maxEventTime: p.maxEventTime ?? Number.NEGATIVE_INFINITY,
        lastSeenAt: now,
        backlog: 0,
      })
    }
    tracker.#emitted = s.emitted ?? Number.NEGATIVE_INFINITY
    return tracker
  }
}
