/**
 * The open windows of one windowed aggregation, per group key, with their accumulators. Pure and
 * deterministic: the same sequence of calls gives the same results and versions, whatever the
 * timing, so a replay after a crash re-emits exactly what the first run did. Whether a window is
 * still open is decided by the watermark alone (`end + grace <= watermark` closes it), never by
 * when `closeUpTo` happens to be called. For the same reason a record never joins a closed
 * session: if its own gap-long session is still open it starts a new one beside it (as Flink does),
 * otherwise it is late.
 *
 * Checkpoints are incremental: `takeChanges` hands over only the windows touched since the last
 * call, each as a JSON string under a stable id, so a Redis hash (or any key-value store) holds
 * the state and a checkpoint writes what changed, not everything.
 */
import { ConfigError } from '../errors/tributary-error.ts'
import { type Accumulators, type Aggregate, addAll, initAll, mergeAll, resultAll } from './aggregations.ts'
import { assignWindows, tumblingStart, type WindowSpec } from './window-spec.ts'

export interface WindowResult {
  readonly key: string
  readonly start: number
  readonly end: number
  readonly values: Record<string, number>
  /** The accumulators behind `values`, for partial rows that are merged later (gold tables). */
  readonly accs: Accumulators
  /** 1, 2, … per window; its final emission has the highest. The gold table's version column. */
  readonly version: number
  /** True when emitted by `closeUpTo`: the window will never change again. */
  readonly final: boolean
}

/**
 * A session that was emitted by `updates()` and has since been merged into another session under
 * a different start: its row must go. `version` is above every version that row was written with.
 */
export interface WindowRetraction {
  readonly key: string
  readonly start: number
  readonly end: number
  readonly version: number
}

/** One open window as checkpointed: `JSON.parse` of an `upserts` value. */
export interface WindowEntry {
  readonly key: string
  readonly start: number
  readonly end: number
  readonly accs: Accumulators
  /** Emissions so far. */
  readonly version: number
  /** Changed since the last `updates()`. */
  readonly pending: boolean
}

/** Everything but the windows: `JSON.parse` of `takeChanges().meta`. */
export interface WindowStoreMeta {
  readonly v: 1
  readonly window: WindowSpec
  /** null before any watermark (JSON has no -Infinity). */
  readonly watermark: number | null
  readonly retractions: readonly WindowRetraction[]
  /** Closed sessions set aside because a new session took their id; `closeUpTo` emits them. */
  readonly closed: readonly WindowEntry[]
}

export interface WindowStoreSnapshot extends WindowStoreMeta {
  readonly windows: readonly WindowEntry[]
}

export interface WindowChanges {
  /** Window id -> WindowEntry JSON, for windows opened or changed since the last call. */
  readonly upserts: Record<string, string>
  /** Ids of windows closed or merged away since the last call. */
  readonly deletes: string[]
  /** WindowStoreMeta JSON; write it with every checkpoint. */
  readonly meta: string
}

export interface WindowAggregatorOptions<T> {
  readonly window: WindowSpec
  readonly aggregate: Aggregate<T>
}

/** The stable id of a window in checkpoints. A session keeps the id of its start. */
export function windowId(key: string, start: number): string {
  return `${key}\u0000${start}`
}

/** Reassembles a snapshot from what a key-value store holds: the meta and the upserted entries. */
export function snapshotFromChanges(meta: string, entries: Iterable<string>): WindowStoreSnapshot {
  const m: WindowStoreMeta = JSON.parse(meta)
  return { ...m, windows: Array.from(entries, (e) => JSON.parse(e) as WindowEntry) }
}

interface OpenWindow {
  /** windowId(key, start) as first made: the same string, whose hash is kept, at each use. */
  readonly id: string
  readonly key: string
  start: number
  end: number
  accs: Accumulators
  version: number
  pending: boolean
  /** Cached JSON length for `sizeBytes`; -1 when stale. */
  size: number
}

/** Map and object bookkeeping per window, beyond its JSON, for `sizeBytes`. */
const WINDOW_OVERHEAD_BYTES = 160
// `add` answers every record: one shared answer each way, not an object per record.
const LATE: { readonly late: boolean } = Object.freeze({ late: true })
const ON_TIME: { readonly late: boolean } = Object.freeze({ late: false })

export class WindowAggregator<T> {
  readonly spec: WindowSpec
  readonly aggregate: Aggregate<T>
  readonly #windows = new Map<string, OpenWindow>()
  /** Sessions look up the windows of their own key only. */
  readonly #byKey = new Map<string, Set<string>>()
  /**
   * Tumbling windows: each key's latest window. A key's records mostly fall in the window of the
   * one before, so most records find it here without building and hashing its id.
   */
  readonly #latest = new Map<string, OpenWindow>()
  #watermark = Number.NEGATIVE_INFINITY
  /** A lower bound on the earliest `end + grace`: `closeUpTo` below it has nothing to scan for. */
  #nextClose = Number.POSITIVE_INFINITY
  #retractions: WindowRetraction[] = []
  #closed: OpenWindow[] = []
  readonly #upserted = new Set<string>()
  readonly #deleted = new Set<string>()

  constructor(opts: WindowAggregatorOptions<T>) {
    this.spec = opts.window
    this.aggregate = opts.aggregate
    if (this.spec.kind === 'session') {
      for (const [name, a] of Object.entries(this.aggregate)) {
        if (!a.mergeable) {
          throw new ConfigError(
            `aggregate.${name}`,
            'session windows merge accumulators, and this reducer has no merge',
            'give the reducer a merge(a, b), or use tumbling or hopping windows',
          )
        }
      }
    }
  }

  /** Includes closed windows not yet emitted by `closeUpTo`. */
  get openWindows(): number {
    return this.#windows.size + this.#closed.length
  }

  /** Approximate heap held by open windows: their JSON plus a fixed overhead each. */
  get sizeBytes(): number {
    let bytes = 0
    for (const w of [...this.#windows.values(), ...this.#closed]) {
      if (w.size < 0) w.size = JSON.stringify(entryOf(w)).length
      bytes += w.size + WINDOW_OVERHEAD_BYTES
    }
    return bytes
  }

  /** The highest watermark passed in so far; a lower one later changes nothing. */
  get watermark(): number {
    return this.#watermark
  }

  /**
   * Adds the record to each of its windows still open at `watermark`. `late` means every one of
   * them had closed: nothing changed and the caller routes the record to its late side output.
   */
  add(record: T, key: string, eventTime: number, watermark: number): { readonly late: boolean } {
    this.#advance(watermark)
    if (this.spec.kind === 'session') return this.#addToSession(record, key, eventTime, this.spec.gap)
    if (this.spec.kind === 'tumbling') return this.#addToTumbling(record, key, eventTime, this.spec.size)
    let accepted = false
    for (const { start, end } of assignWindows(this.spec, eventTime)) {
      if (this.#isClosed(end)) continue
      const id = windowId(key, start)
      const w = this.#windows.get(id) ?? this.#open(id, key, start, end, initAll(this.aggregate), 0)
      w.accs = addAll(this.aggregate, w.accs, record)
      this.#changed(id, w)
      accepted = true
    }
    return accepted ? ON_TIME : LATE
  }

  #addToTumbling(record: T, key: string, eventTime: number, size: number): { readonly late: boolean } {
    const start = tumblingStart(eventTime, size)
    let w = this.#latest.get(key)
    if (w === undefined || w.start !== start) {
      if (this.#isClosed(start + size)) return LATE
      const id = windowId(key, start)
      w = this.#windows.get(id) ?? this.#open(id, key, start, start + size, initAll(this.aggregate), 0)
      this.#latest.set(key, w)
    } else if (this.#isClosed(w.end)) return LATE
    w.accs = addAll(this.aggregate, w.accs, record)
    this.#changed(w.id, w)
    return ON_TIME
  }

  #addToSession(record: T, key: string, eventTime: number, gap: number): { readonly late: boolean } {
    if (!Number.isFinite(eventTime)) throw new RangeError(`event time ${eventTime} is not a finite number`)
    let start = eventTime
    let end = eventTime + gap
    const touched: OpenWindow[] = []
    for (const id of this.#byKey.get(key) ?? []) {
      const w = this.#windows.get(id)!
      if (w.start < eventTime + gap && w.end > eventTime && !this.#isClosed(w.end)) touched.push(w)
    }
    if (touched.length === 0) {
      if (this.#isClosed(end)) return LATE
      const id = windowId(key, start)
      this.#setAsideIfClosed(id)
      const w = this.#open(id, key, start, end, addAll(this.aggregate, initAll(this.aggregate), record), 0)
      this.#changed(id, w)
      return ON_TIME
    }
    // Merging in start order keeps float sums and reducer results the same on every replay.
    touched.sort((a, b) => a.start - b.start)
    let accs = touched[0]!.accs
    let version = 0
    for (const [i, w] of touched.entries()) {
      if (i > 0) accs = mergeAll(this.aggregate, accs, w.accs)
      start = Math.min(start, w.start)
      end = Math.max(end, w.end)
      version = Math.max(version, w.version)
    }
    accs = addAll(this.aggregate, accs, record)
    const mergedId = windowId(key, start)
    for (const w of touched) {
      const id = windowId(key, w.start)
      if (id === mergedId) continue
      this.#remove(id, w)
      if (w.version > 0) this.#retractions.push({ key, start: w.start, end: w.end, version: version + 1 })
    }
    this.#setAsideIfClosed(mergedId)
    const merged = this.#windows.get(mergedId)
    if (merged === undefined) this.#open(mergedId, key, start, end, accs, version)
    else {
      merged.end = end
      merged.accs = accs
      merged.version = version
    }
    this.#changed(mergedId, this.#windows.get(mergedId)!)
    return ON_TIME
  }

  /**
   * Final emission: every window with `end + grace <= watermark`, ordered by end, then start, then
   * key, each once and never again. The window leaves the store.
   */
  closeUpTo(watermark: number): WindowResult[] {
    this.#advance(watermark)
    if (this.#watermark < this.#nextClose && this.#closed.length === 0) return []
    const closing = this.#closed
    this.#closed = []
    let nextClose = Number.POSITIVE_INFINITY
    for (const [id, w] of this.#windows) {
      if (!this.#isClosed(w.end)) nextClose = Math.min(nextClose, w.end + this.spec.grace)
      else {
        this.#remove(id, w)
        closing.push(w)
      }
    }
    this.#nextClose = nextClose
    return closing.sort(emissionOrder).map((w) => this.#emit(w, true))
  }

  /**
   * Early results: open windows changed since the last call, in emission order, each with its
   * version raised by one. Optional; without it each window is emitted once, final, with version 1.
   */
  updates(): WindowResult[] {
    // A closed window's next emission is its final one, whenever `closeUpTo` gets to it.
    const changed = [...this.#windows.values()]
      .filter((w) => w.pending && !this.#isClosed(w.end))
      .sort(emissionOrder)
    return changed.map((w) => {
      const result = this.#emit(w, false)
      this.#changed(windowId(w.key, w.start), w, false)
      return result
    })
  }

  /** Sessions to delete downstream (see WindowRetraction); each is handed over once. */
  takeRetractions(): WindowRetraction[] {
    const taken = this.#retractions
    this.#retractions = []
    return taken
  }

  /** What changed since the last call (or restore), for an incremental checkpoint. */
  takeChanges(): WindowChanges {
    const upserts: Record<string, string> = {}
    for (const id of [...this.#upserted].sort()) upserts[id] = JSON.stringify(entryOf(this.#windows.get(id)!))
    const deletes = [...this.#deleted].sort()
    this.#upserted.clear()
    this.#deleted.clear()
    return { upserts, deletes, meta: JSON.stringify(this.#meta()) }
  }

  snapshot(): WindowStoreSnapshot {
    const windows = [...this.#windows.values()].sort(idOrder).map(entryOf)
    return { ...this.#meta(), windows }
  }

  /** Replaces all state with the snapshot's; nothing counts as changed afterwards. */
  restore(snapshot: WindowStoreSnapshot | string): void {
    const s: WindowStoreSnapshot = typeof snapshot === 'string' ? JSON.parse(snapshot) : snapshot
    if (s.v !== 1) throw new RangeError(`unknown window checkpoint version ${String(s.v)}`)
    if (JSON.stringify(s.window) !== JSON.stringify(this.spec)) {
      throw new ConfigError(
        'window',
        `the checkpoint was taken with ${JSON.stringify(s.window)}, not ${JSON.stringify(this.spec)}`,
        'keep the window declaration, or rename the topology to start from empty state',
      )
    }
    const names = Object.keys(this.aggregate)
    for (const e of [...s.windows, ...s.closed]) {
      const missing = names.find((n) => !(n in e.accs))
      if (missing !== undefined) {
        throw new ConfigError(
          `aggregate.${missing}`,
          'the checkpoint has no accumulator for it',
          'keep the aggregate declaration, or rename the topology to start from empty state',
        )
      }
    }
    this.#windows.clear()
    this.#byKey.clear()
    this.#latest.clear()
    this.#nextClose = Number.POSITIVE_INFINITY
    for (const e of [...s.windows].sort(idOrder)) {
      const w = this.#open(windowId(e.key, e.start), e.key, e.start, e.end, e.accs, e.version)
      w.pending = e.pending
    }
    this.#watermark = s.watermark ?? Number.NEGATIVE_INFINITY
    this.#retractions = [...s.retractions]
    this.#closed = s.closed.map((e) => ({ ...e, id: windowId(e.key, e.start), accs: e.accs, size: -1 }))
    this.#upserted.clear()
    this.#deleted.clear()
  }

  #meta(): WindowStoreMeta {
    const watermark = Number.isFinite(this.#watermark) ? this.#watermark : null
    const closed = [...this.#closed].sort(emissionOrder).map(entryOf)
    return { v: 1, window: this.spec, watermark, retractions: this.#retractions, closed }
  }

  /**
   * A session closed but not yet emitted can hold the id (key and start) a new session needs. It
   * moves aside, out of the id space, so results do not depend on when `closeUpTo` last ran.
   */
  #setAsideIfClosed(id: string): void {
    const w = this.#windows.get(id)
    if (w === undefined || !this.#isClosed(w.end)) return
    this.#remove(id, w)
    this.#closed.push(w)
  }

  #advance(watermark: number): void {
    if (watermark > this.#watermark) this.#watermark = watermark
  }

  #isClosed(end: number): boolean {
    return end + this.spec.grace <= this.#watermark
  }

  #open(
    id: string,
    key: string,
    start: number,
    end: number,
    accs: Accumulators,
    version: number,
  ): OpenWindow {
    const w: OpenWindow = { id, key, start, end, accs, version, pending: false, size: -1 }
    this.#windows.set(id, w)
    const ids = this.#byKey.get(key)
    if (ids === undefined) this.#byKey.set(key, new Set([id]))
    else ids.add(id)
    this.#nextClose = Math.min(this.#nextClose, end + this.spec.grace)
    return w
  }

  /** `pending` is false only for the version bump of an early emission, which changes no value. */
  #changed(id: string, w: OpenWindow, pending = true): void {
    w.pending = pending
    w.size = -1
    this.#upserted.add(id)
    this.#deleted.delete(id)
  }

  #remove(id: string, w: OpenWindow): void {
    this.#windows.delete(id)
    if (this.#latest.get(w.key) === w) this.#latest.delete(w.key)
    const ids = this.#byKey.get(w.key)!
    ids.delete(id)
    if (ids.size === 0) this.#byKey.delete(w.key)
    this.#upserted.delete(id)
    this.#deleted.add(id)
  }

  #emit(w: OpenWindow, final: boolean): WindowResult {
    w.version += 1
    return {
      key: w.key,
      start: w.start,
      end: w.end,
      values: resultAll(this.aggregate, w.accs),
      accs: w.accs,
      version: w.version,
      final,
    }
  }
}

function entryOf(w: OpenWindow): WindowEntry {
  return { key: w.key, start: w.start, end: w.end, accs: w.accs, version: w.version, pending: w.pending }
}

function emissionOrder(a: OpenWindow, b: OpenWindow): number {
  return a.end - b.end || a.start - b.start || compareStrings(a.key, b.key)
}

function idOrder(a: { key: string; start: number }, b: { key: string; start: number }): number {
  return compareStrings(a.key, b.key) || a.start - b.start
}

/** Code-unit order, the same on every machine, unlike localeCompare. */
function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
