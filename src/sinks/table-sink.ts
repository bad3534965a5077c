import { type InsertBody, type InsertFormat, JSON_EACH_ROW } from '../clickhouse/insert-body.ts'
import type { TopicPartition } from '../records/partition.ts'
import type { KafkaRecord } from '../records/record.ts'
import { type PartitionRange, PartitionTally } from './partition-tally.ts'
import { Partitioned } from './partitioned.ts'
import { RowBuffer } from './row-buffer.ts'
import type { EpochBlocks, FlushResult, Sink } from './sink.ts'

/** Where a table sink's rows go: in production the retrying, circuit-broken ClickHouse inserter. */
export interface RowWriter {
  /**
   * `token` identifies the block (table, input partition, epoch, offsets): a target that has seen
   * it drops the insert, so a replayed epoch lands once. `partition` is the block's input partition.
   */
  insertRaw(
    table: string,
    body: InsertBody,
    rows: number,
    format: InsertFormat,
    token: string,
    partition: number,
  ): Promise<void>
}

/** How a sink's items become rows: the body's format, and how one item is written into it. */
export interface RowEncoder<T> {
  readonly format: InsertFormat
  write(out: RowBuffer, item: T, ingestTime: number): void
}

/** An encoder from a function that makes one JSONEachRow line. */
export function jsonLines<T>(line: (item: T, ingestTime: number) => string): RowEncoder<T> {
  return { format: JSON_EACH_ROW, write: (out, item, ingestTime) => out.add(line(item, ingestTime)) }
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
  /** The input partition an item belongs to: its block. */
  readonly partitionOf: (item: T) => TopicPartition
  /** The input record behind an item, for the processing log; absent for derived rows (gold). */
  readonly source?: (item: T) => KafkaRecord
  readonly eventTime?: (item: T) => number
  /**
   * The ingest time of a partition's rows: the same for every row of one epoch's block, and
   * recorded with the epoch, so a replay writes the same bytes. Default: the wall clock.
   */
  readonly ingestTime?: (topic: string, partition: number) => number
  readonly clock?: () => number
}

interface Block {
  readonly rows: RowBuffer
  readonly tally: PartitionTally
  oldest: number
}

/** Buffers one table's rows per input partition, already encoded; a flush is one insert per partition. */
export class TableSink<T> implements Sink<T> {
  readonly name: string
  private readonly blocks = new Partitioned<Block>(() => ({
    rows: new RowBuffer(),
    tally: new PartitionTally(),
    oldest: Number.POSITIVE_INFINITY,
  }))
  private held = 0
  private readonly opts: TableSinkOptions<T>
  private readonly clock: () => number
  private readonly ingestTime: (topic: string, partition: number) => number

  constructor(opts: TableSinkOptions<T>) {
    this.opts = opts
    this.name = opts.table
    this.clock = opts.clock ?? Date.now
    this.ingestTime = opts.ingestTime ?? (() => this.clock())
  }

  add(item: T): void {
    const { topic, partition } = this.opts.partitionOf(item)
    const block = this.blocks.of(topic, partition)
    this.opts.encoder.write(block.rows, item, this.ingestTime(topic, partition))
    this.held++
    if (this.opts.source) block.tally.add(this.opts.source(item))
    if (this.opts.eventTime) {
      const t = this.opts.eventTime(item)
      if (t < block.oldest) block.oldest = t
    }
  }

  get pending(): number {
    return this.held
  }

  async flush(epoch: EpochBlocks, ready?: Promise<void>): Promise<TableFlushResult> {
    const started = this.clock()
    let rows = 0
    let oldest = Number.POSITIVE_INFINITY
    const partitions: PartitionRange[] = []
    const blocks = this.blocks.take(epoch.keys()).flatMap(({ tp, key, bucket }) => {
      const n = bucket.rows.rows
      rows += n
      if (bucket.oldest < oldest) oldest = bucket.oldest
      partitions.push(...bucket.tally.take())
      const token = `${this.opts.table}:${tp.topic}:${tp.partition}:${epoch.get(key)!.id}`
      return n > 0 ? [{ body: bucket.rows.take(), n, token, partition: tp.partition }] : []
    })
    this.held -= rows
    await ready
    // The writer retries retriable failures until they pass; what still throws is fatal, and the
    // runner stops without committing, so these rows are re-read from Kafka on restart.
    const { table, encoder, writer } = this.opts
    await Promise.all(
      blocks.map((b) => writer.insertRaw(table, b.body, b.n, encoder.format, b.token, b.partition)),
    )
    return {
      sink: this.name,
      table: this.opts.table,
      rows,
      durationMs: this.clock() - started,
      partitions,
      oldestEventTime: Number.isFinite(oldest) ? oldest : null,
    }
  }

  retainOnly(owned: ReadonlySet<string>): void {
    this.blocks.retainOnly(owned)
    this.held = 0
    for (const b of this.blocks.buckets()) this.held += b.rows.rows
  }
}
