/**
 * A gold table, as a topology declares it: which records group together (the key columns), over
 * which event-time windows, and what is computed per window. The declaration is the single source
 * of the window state's namespace, the table's columns and the view users query.
 */
import { ConfigError } from '../errors/tributary-error.ts'
import { type Aggregate, defineAggregate } from './aggregations.ts'
import { type Duration, parseDuration } from './durations.ts'
import type { WindowSpec } from './window-spec.ts'

export interface GoldDeclaration<T> {
  /** Table `gold_<name>`; also the window state's namespace, so renaming starts from empty state. */
  readonly name: string
  readonly window: WindowSpec
  /** Key columns (String) in order: the record's group within each window. */
  readonly groupBy: Readonly<Record<string, (value: T) => string>>
  readonly aggregate: Aggregate<T>
  /**
   * 'final' (default): one row per window when it closes. 'updates': also a row at every
   * checkpoint while the window is open, each with a higher version, the last one final.
   */
  readonly emit?: 'final' | 'updates'
  /**
   * The author's promise that the input topic is keyed so every record of one group lands in one
   * partition. Session windows and `reduce` need it: their per-partition results cannot be merged
   * in SQL, so each window must be computed whole in one partition.
   */
  readonly copartitioned?: boolean
}

/** When a window is complete: event time only, never processing time (except for idle inputs). */
export interface WatermarkDeclaration {
  /** How far behind the newest event time of a partition a record may arrive and still count. */
  readonly outOfOrderness: Duration
  /** A partition quiet this long stops holding its windows open. Default 30s. */
  readonly idleTimeout?: Duration
}

export const DEFAULT_IDLE_TIMEOUT = '30s'

const NAME = /^[a-z][a-z0-9_]{0,62}$/
const COLUMN = /^[A-Za-z_][A-Za-z0-9_]*$/
/** Columns every gold table has besides the key and the aggregates. */
const RESERVED = new Set(['window_start', 'window_end', '_version', '_deleted', '_topic', '_partition'])

/** Fails at start-up, naming the field, on anything the gold table or its state could not hold. */
export function checkGold<T>(topology: string, golds: readonly GoldDeclaration<T>[]): void {
  const seen = new Set<string>()
  for (const g of golds) {
    const at = `topology ${topology}: gold ${JSON.stringify(g.name)}`
    if (!NAME.test(g.name)) {
      throw new ConfigError(`${at}: name`, 'not a valid table suffix', 'use lowercase letters, digits and _')
    }
    if (seen.has(g.name)) throw new ConfigError(`${at}: name`, 'declared twice', 'give each gold a name')
    seen.add(g.name)
    const keys = Object.keys(g.groupBy)
    if (keys.length === 0) {
      throw new ConfigError(`${at}: groupBy`, 'no key columns', 'group by at least one field')
    }
    defineAggregate(g.aggregate)
    for (const c of [...keys, ...Object.keys(g.aggregate)]) {
      if (!COLUMN.test(c) || RESERVED.has(c) || c.includes('__')) {
        throw new ConfigError(
          `${at}: column ${c}`,
          'is reserved or not a plain column name',
          `use letters, digits and single _; not ${[...RESERVED].join(', ')}`,
        )
      }
    }
    const dup = keys.find((k) => k in g.aggregate)
    if (dup) throw new ConfigError(`${at}: ${dup}`, 'is both a key and an aggregate', 'rename one')
    if (!g.copartitioned) {
      const needs =
        g.window.kind === 'session'
          ? 'session windows'
          : Object.entries(g.aggregate).find(([, a]) => a.kind === 'reduce')?.[0]
      if (needs) {
        throw new ConfigError(
          `${at}: copartitioned`,
          `${needs === 'session windows' ? needs : `reduce aggregate ${needs}`} cannot be merged across input partitions`,
          'key the input topic by the group key and declare copartitioned: true',
        )
      }
    }
  }
}

export function watermarkMs(topology: string, w: WatermarkDeclaration | undefined) {
  return {
    outOfOrderness: parseDuration(w?.outOfOrderness ?? 0, `topology ${topology}: watermark.outOfOrderness`),
    idleTimeout: parseDuration(
      w?.idleTimeout ?? DEFAULT_IDLE_TIMEOUT,
      `topology ${topology}: watermark.idleTimeout`,
    ),
  }
}

/** Distinct group keys remembered per gold; past it they are forgotten and made again. */
const KNOWN_GROUP_KEYS = 10_000

/**
 * The aggregator's group key: the key column values, unambiguous whatever they contain. A gold
 * mostly sees few groups, so each key is made once and found again by its values: the same string
 * comes back, with its hash kept, for every lookup of the window store.
 */
export function groupKeyOf<T>(g: GoldDeclaration<T>): (value: T) => string {
  const fns = Object.values(g.groupBy)
  const last = fns.length - 1
  const values = new Array<string>(fns.length)
  let known = new Map<string, unknown>()
  let size = 0
  return (v) => {
    let node = known
    for (let i = 0; i < last; i++) {
      values[i] = String(fns[i]!(v))
      let next = node.get(values[i]!) as Map<string, unknown> | undefined
      if (next === undefined) {
        next = new Map()
        node.set(values[i]!, next)
      }
      node = next
    }
    values[last] = String(fns[last]!(v))
    let key = node.get(values[last]!) as string | undefined
    if (key === undefined) {
      key = JSON.stringify(values)
      if (size >= KNOWN_GROUP_KEYS) {
        known = new Map()
        size = 0
      } else {
        node.set(values[last]!, key)
        size++
      }
    }
    return key
  }
}

export function keyValues(key: string): string[] {
  return JSON.parse(key)
}
