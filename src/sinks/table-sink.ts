import type { KafkaRecord } from '../topology/record.ts'
import { type PartitionRange, PartitionTally } from './partition-tally.ts'
import type { FlushResult, Sink } from './sink.ts'

/** Where a table sink's rows go: in production the retrying, circuit-broken ClickHouse inserter. */
export interface RowWriter {
  insertRaw(table: string, body: string, rows: number): Promise<void>
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
  readonly line: (item: T, now: number) => string
  /** The input record behind an item, for the processing log; absent for derived rows (gold). */
  readonly source?: (item: T) => KafkaRecord
  readonly eventTime?: (item: T) => number
  readonly clock?: () => number
}

/** Buffers JSONEachRow lines for one table; a flush is one insert. */
export class TableSink<T> implements Sink<T> {
  readonly name: string
  private lines: string[] = []
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
    this.lines.push(this.opts.line(item, this.clock()))
    if (this.opts.source) this.tally.add(this.opts.source(item))
    if (this.opts.eventTime) {
      const t = this.opts.eventTime(item)
      if (t < this.oldest) this.oldest = t
    }
  }

  get pending(): number {
    return this.lines.length
  }

  async flush(): Promise<TableFlushResult> {
    const started = this.clock()
    const lines = this.lines
    const partitions = this.tally.take()
    const oldest = this.oldest
    this.lines = []
    this.oldest = Number.POSITIVE_INFINITY
    // The writer retries retriable failures until they pass; what still throws is fatal, and the
    // runner stops without committing, so these rows are re-read from Kafka on restart.
    if (lines.length > 0) await this.opts.writer.insertRaw(this.opts.table, lines.join('\n'), lines.length)
    return {
      sink: this.name,
      table: this.opts.table,
      rows: lines.length,
      durationMs: this.clock() - started,
      partitions,
      oldestEventTime: Number.isFinite(oldest) ? oldest : null,
    }
  }
}
