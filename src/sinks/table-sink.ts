import { type InsertBody, type InsertFormat, JSON_EACH_ROW } from '../clickhouse/insert-body.ts'
import type { KafkaRecord } from '../records/record.ts'
import { type PartitionRange, PartitionTally } from './partition-tally.ts'
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
}

/** Buffers one table's rows, already encoded; a flush is one insert. */
export class TableSink<T> implements Sink<T> {
  readonly name: string
  private readonly rows = new RowBuffer()
  private tally = new PartitionTally()
  private oldest = Number.POSITIVE_INFINITY
  private readonly opts: TableSinkOptions<T>
  private readonly clock: () => number

  constructor(opts: TableSinkOptions<T>) {
    this.opts = opts
    this.name = opts.table
    this.clock = opts.clock ?? Date.now
  }

  add(item: T): void {
    this.opts.encoder.write(this.rows, item, this.clock())
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
    const rows = this.rows.rows
    const body = this.rows.take()
    const partitions = this.tally.take()
    const oldest = this.oldest
    this.oldest = Number.POSITIVE_INFINITY
    // The writer retries retriable failures until they pass; what still throws is fatal, and the
    // runner stops without committing, so these rows are re-read from Kafka on restart.
    if (rows > 0) await this.opts.writer.insertRaw(this.opts.table, body, rows, this.opts.encoder.format)
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
