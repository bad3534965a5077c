/**
 * Example change events for `tributary produce --generate`, shaped like a Postgres connector's:
 * change `i` carries the topology's example row `i` and LSN `lsnAt(i)`, so versions grow with `i`
 * across runs. A key seen before in the run is updated, one not seen is created, and every
 * DELETE_EVERY-th change of a live key deletes it instead, followed by its tombstone.
 */
import type { ChangeOp } from '../records/change.ts'
import type { ChangeStream, DebeziumChange } from './debezium.ts'

export const DELETE_EVERY = 13
const LSN_BASE = 22_000_000

export function lsnAt(i: number): number {
  return LSN_BASE + i * 8
}

export interface GeneratedChange {
  /** The Kafka key, `{"id":…}` as Debezium's JSON key converter writes it. */
  readonly key: string
  /** null: the tombstone after a delete. */
  readonly value: DebeziumChange<unknown> | null
}

/** A change event of a Postgres table around `before`/`after`. */
export function changeEvent(
  table: string,
  op: ChangeOp,
  before: unknown,
  after: unknown,
  i: number,
  now = Date.now(),
): DebeziumChange<unknown> {
  return {
    before,
    after,
    op,
    ts_ms: now,
    source: {
      version: '2.7.0.Final',
      connector: 'postgresql',
      name: 'dbserver1',
      ts_ms: now,
      db: 'shop',
      schema: 'public',
      table,
      txId: 1000 + i,
      lsn: lsnAt(i),
    },
  }
}

export class ChangeGenerator {
  private readonly live = new Map<string, unknown>()
  private readonly stream: ChangeStream
  private readonly table: string

  constructor(stream: ChangeStream, table: string) {
    this.stream = stream
    this.table = table
  }

  keyOf(row: unknown): string {
    const r = row as Record<string, unknown>
    return JSON.stringify(Object.fromEntries(this.stream.key.map((k) => [k, r[k]])))
  }

  /** Change `i` for example row `row`: one event, or a delete and its tombstone. */
  next(i: number, row: unknown): GeneratedChange[] {
    const key = this.keyOf(row)
    const before = this.live.get(key)
    if (before !== undefined && i % DELETE_EVERY === DELETE_EVERY - 1) {
      this.live.delete(key)
      return [
        { key, value: changeEvent(this.table, 'd', before, null, i) },
        { key, value: null },
      ]
    }
    this.live.set(key, row)
    return [{ key, value: changeEvent(this.table, before === undefined ? 'c' : 'u', before ?? null, row, i) }]
  }
}
