import type { KafkaRecord } from '../topology/record.ts'
import { type InsertBody, type InsertFormat, JSON_EACH_ROW } from './clickhouse/insert-body.ts'
import { type PartitionRange, PartitionTally } from './partition-tally.ts'
import { insertFindingRefused, splitRows } from './refused-rows.ts'
import { RowBuffer } from './row-buffer.ts'
import type { FlushResult, Sink } from './sink.ts'

/** Where a table sink's rows go: in production the retrying, circuit-broken ClickHouse inserter. */
export interface RowWriter {
  insertRaw(table: string, body: InsertBody, rows: number, format: InsertFormat): Promise<void>
}

/** How a sink's items become rows: the body's format, and how one item is written into it. */
export interface RowEncoder<T> {
  readonly format: InsertFormat
  write(out: RowBuffer, item: T, now: number): void
}

/** An encoder from a function that makes one JSONEachRow line. */
export function jsonLines<T>(line: (item: T, now: number) => string): RowEncoder<T> {
  return { format: JSON_EACH_ROW, write: (out, item, now) => out.add(line(item, now)) }
}

export interface TableFlushResult extends FlushResult {
  readonly table: string
  readonly partitions: readonly PartitionRange[]
  /** Oldest event time in the batch (epoch ms), for the event-time lag metric; null if unknown. */
  readonly oldestEventTime: number | null
}

export interface TableSinkOptions<T> {
  readonly table: string
  readonly writer: RowWriter
  readonly encoder: RowEncoder<T>
  /** The input record behind an item, for the processing log; absent for derived rows (gold). */
  readonly source?: (item: T) => KafkaRecord
  readonly eventTime?: (item: T) => number
  readonly clock?: () => number
  /**
   * Where rows the server refuses for their data go, durably, before the flush returns (e.g. to
   * quarantine): with it, a refused block is split to find them and the other rows land; without
   * it, a refusal fails the flush. The sink then keeps its items until the flush.
   */
  readonly onRefused?: (rows: readonly { item: T; reason: string }[]) => Promise<void>
}

/** Buffers one table's rows, already encoded; a flush is one insert. */
export class TableSink<T> implements Sink<T> {
  readonly name: string
  private readonly rows = new RowBuffer()
  private tally = new PartitionTally()
  private oldest = Number.POSITIVE_INFINITY
  private items: T[] = []
  private readonly opts: TableSinkOptions<T>
  private readonly clock: () => number

  constructor(opts: TableSinkOptions<T>) {
    this.opts = opts
    this.name = opts.table
    this.clock = opts.clock ?? Date.now
  }

  add(item: T): void {
    this.opts.encoder.write(this.rows, item, this.clock())
    if (this.opts.onRefused) this.items.push(item)
    if (this.opts.source) this.tally.add(this.opts.source(item))
    if (this.opts.eventTime) {
      const t = this.opts.eventTime(item)
      if (t < this.oldest) this.oldest = t
    }
  }

  get pending(): number {
    return this.rows.rows
  }

  async flush(): Promise<TableFlushResult> {
    const started = this.clock()
    let rows = this.rows.rows
    const body = this.rows.take()
    let partitions = this.tally.take()
    const items = this.items
    this.items = []
    const oldest = this.oldest
    this.oldest = Number.POSITIVE_INFINITY
    const { table, writer, encoder, onRefused, source } = this.opts
    // The writer retries retriable failures until they pass; what still throws is fatal, and the
    // runner stops without committing, so these rows are re-read from Kafka on restart.
    if (rows > 0 && !onRefused) await writer.insertRaw(table, body, rows, encoder.format)
    else if (rows > 0 && onRefused) {
      const refused = await insertFindingRefused(splitRows(body), (part, n) =>
        writer.insertRaw(table, part, n, encoder.format),
      )
      if (refused.length > 0) {
        await onRefused(refused.map((r) => ({ item: items[r.index]!, reason: r.reason })))
        rows -= refused.length
        const gone = new Set(refused.map((r) => r.index))
        const tally = new PartitionTally()
        if (source) for (const [i, item] of items.entries()) if (!gone.has(i)) tally.add(source(item))
        partitions = tally.take()
      }
    }
    return {
      sink: this.name,
      table: this.opts.table,
      rows,
      durationMs: this.clock() - started,
      partitions,
      oldestEventTime: Number.isFinite(oldest) ? oldest : null,
    }
  }
}
