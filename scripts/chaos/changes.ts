/**
 * The chaos run's change stream (the customers CDC topology) and its ground truth: the source
 * table's final state, folded from the changes as produced by version with a plain loop that
 * shares no code with the engine. Creates, updates and deletes (each followed by its tombstone)
 * come from the example generator; some changes break the rules, and some are sent again later,
 * after newer changes of their key: a replay that is also out of order, which must lose.
 */
import { type Customer, invalidCustomer, sampleCustomer } from '../../schemas/customers.ts'
import type { ChangeStream, DebeziumChange } from '../../src/cdc/debezium.ts'
import { ChangeGenerator, changeEvent } from '../../src/cdc/generate.ts'
import type { ClickHouse } from '../../src/clickhouse/client.ts'
import type { ChangeOp } from '../../src/records/change.ts'
import { random } from './dataset.ts'

/** A change as the source table saw it, what the truth is folded from. */
export interface SourceChange {
  readonly id: number
  readonly op: ChangeOp
  readonly lsn: number
  readonly row: Customer | null
  /** Breaks the topology's rules: quarantined, never applied. */
  readonly invalid?: boolean
}

export interface ChangeMessage {
  readonly key: string
  /** null: a tombstone. */
  readonly value: DebeziumChange<Customer> | null
  /** Its `after` image breaks the rules. */
  readonly invalid: boolean
}

export interface ChangeDataset {
  readonly messages: readonly ChangeMessage[]
  readonly invalid: number
  readonly tombstones: number
  readonly deletes: number
  /** Changes sent a second time, later (replays, most of them out of order by then). */
  readonly duplicates: number
  /** The source table after every change: one row per live key. */
  readonly current: readonly Customer[]
}

export interface ChangeDatasetOptions {
  readonly changes: number
  readonly duplicateRatio: number
  readonly invalidRatio: number
  readonly seed: number
}

/** 2026-01-01T00:00Z, as the orders: a seed reproduces the rows exactly. */
const T0 = Date.UTC(2026, 0, 1)

export function chaosChanges(stream: ChangeStream, table: string, opts: ChangeDatasetOptions): ChangeDataset {
  // Its own stream of numbers, so adding changes does not shift the orders' dataset.
  const rand = random(opts.seed + 2)
  const generator = new ChangeGenerator(stream, table)
  const messages: ChangeMessage[] = []
  const later = new Map<number, ChangeMessage[]>()
  let invalid = 0
  let duplicates = 0
  for (let i = 0; i < opts.changes; i++) {
    let produced: ChangeMessage[]
    if (rand() < opts.invalidRatio) {
      const row = invalidCustomer(i, T0)
      const value = changeEvent(table, 'u', null, row, i, T0) as DebeziumChange<Customer>
      produced = [{ key: generator.keyOf(row), value, invalid: true }]
      invalid++
    } else {
      produced = generator
        .next(i, sampleCustomer(i, T0))
        .map((m) => ({ key: m.key, value: m.value as DebeziumChange<Customer> | null, invalid: false }))
      const first = produced[0]!
      if (rand() < opts.duplicateRatio) {
        const at = i + 50 + Math.floor(rand() * 500)
        later.set(at, [...(later.get(at) ?? []), first])
        duplicates++
      }
    }
    messages.push(...produced, ...(later.get(i) ?? []))
    later.delete(i)
  }
  for (const rest of later.values()) messages.push(...rest)
  const changes = messages.filter((m) => m.value !== null).map(sourceChange)
  return {
    messages,
    invalid,
    tombstones: messages.filter((m) => m.value === null).length,
    deletes: changes.filter((c) => c.op === 'd').length,
    duplicates,
    current: rowsOf(finalState(changes)),
  }
}

/** A produced event as the source table saw it. */
function sourceChange(m: ChangeMessage): SourceChange {
  const e = m.value!
  const id = (e.after ?? e.before!).id
  return { id, op: e.op as ChangeOp, lsn: Number(e.source!.lsn), row: e.after, invalid: m.invalid }
}

/** The source table's final state: per key, its newest valid change; a delete leaves no row. */
export function finalState(changes: readonly SourceChange[]): Map<number, Customer> {
  const newest = new Map<number, SourceChange>()
  for (const c of changes) {
    if (c.invalid) continue
    const seen = newest.get(c.id)
    if (!seen || c.lsn > seen.lsn) newest.set(c.id, c)
  }
  const state = new Map<number, Customer>()
  for (const [id, c] of newest) if (c.op !== 'd') state.set(id, c.row!)
  return state
}

export function rowsOf(m: Map<number, Customer>): Customer[] {
  return [...m.values()].sort((a, b) => a.id - b.id).map((c) => ({ ...c }))
}

/** Every column of the `silver_<entity>_current` view, by a plain query, as Customer rows. */
export async function currentRows(ch: ClickHouse, table: string): Promise<Customer[]> {
  const rows = await ch.query<Record<string, unknown>>(
    `SELECT id, name, email, country, tier, updated_at FROM ${table} ORDER BY id`,
  )
  return rows.map((r) => ({
    id: Number(r.id),
    name: r.name as string,
    email: r.email as string | null,
    country: r.country as string,
    tier: r.tier as string,
    updated_at:
      typeof r.updated_at === 'string' && /\D/.test(r.updated_at)
        ? Date.parse(`${r.updated_at}Z`)
        : Number(r.updated_at),
  }))
}
