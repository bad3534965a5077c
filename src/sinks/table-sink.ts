import { isRowDataRefusal } from '../clickhouse/errors.ts'
import { type InsertBody, type InsertFormat, JSON_EACH_ROW } from '../clickhouse/insert-body.ts'
import type { TopicPartition } from '../records/partition.ts'
import type { KafkaRecord } from '../records/record.ts'
import { type PartitionRange, PartitionTally } from './partition-tally.ts'
import { Partitioned } from './partitioned.ts'
import { RecordArena } from './record-arena.ts'
import { insertFindingRefused, splitRows } from './refused-rows.ts'
import { RowBuffer } from './row-buffer.ts'
import type { Block, EpochBlocks, FlushResult, Sink } from './sink.ts'

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
  /** Names this sink's blocks (default: the table), where two sinks write one table. */
  readonly tokenPrefix?: string
  /**
   * Where rows the server refuses for their data go, durably, before the flush returns (e.g. to
   * quarantine), as part of the same epoch block: with it, a refused block is split to find them
   * and the other rows land; without it, a refusal fails the flush. The sink then keeps the input
   * record (`source`) behind each row, and only that, off the heap (RecordArena): the decoded
   * value, its envelope and the record object die young instead of surviving, with the epoch's
   * rows, into the old generation.
   */
  readonly onRefused?: (
    tp: TopicPartition,
    block: Block,
    rows: readonly { record: KafkaRecord; reason: string }[],
  ) => Promise<void>
}

interface Buffered {
  readonly rows: RowBuffer
  readonly tally: PartitionTally
  oldest: number
  /** The input records behind the rows, kept only when refused rows are routed (`onRefused`). */
  readonly records: RecordArena
}

/** Buffers one table's rows per input partition, already encoded; a flush is one insert per partition. */
export class TableSink<T> implements Sink<T> {
  readonly name: string
  private readonly blocks = new Partitioned<Buffered>(() => ({
    rows: new RowBuffer(),
    tally: new PartitionTally(),
    oldest: Number.POSITIVE_INFINITY,
    records: new RecordArena(),
  }))
  private held = 0
  private readonly opts: TableSinkOptions<T>
  private readonly clock: () => number
  private readonly ingestTime: (topic: string, partition: number) => number

  constructor(opts: TableSinkOptions<T>) {
    if (opts.onRefused && !opts.source)
      throw new TypeError(`table sink ${opts.table}: onRefused needs source, the input record behind a row`)
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
    const source = this.opts.source?.(item)
    if (source) {
      block.tally.add(source)
      if (this.opts.onRefused) block.records.add(source)
    }
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
    const taken = this.blocks.take(epoch.keys()).flatMap(({ tp, key, bucket }) => {
      rows += bucket.rows.rows
      if (bucket.oldest < oldest) oldest = bucket.oldest
      const block = epoch.get(key)!
      const token = `${this.opts.tokenPrefix ?? this.opts.table}:${tp.topic}:${tp.partition}:${block.id}`
      const n = bucket.rows.rows
      return n > 0 ? [{ tp, block, token, bucket, n, body: bucket.rows.take() }] : []
    })
    this.held -= rows
    await ready
    const landed = await Promise.all(taken.map((b) => this.land(b)))
    rows -= landed.reduce((n, refused) => n + refused, 0)
    const partitions = taken.flatMap((b) => b.bucket.tally.take())
    return {
      sink: this.name,
      table: this.opts.table,
      rows,
      durationMs: this.clock() - started,
      partitions,
      oldestEventTime: Number.isFinite(oldest) ? oldest : null,
    }
  }

  /**
   * Inserts one partition's block. With `onRefused`, a block the server refuses for some row's data
   * is halved until those rows are alone (each part named after its rows, so a replay names them
   * alike); they go to `onRefused` and the rest lands. Returns how many rows were refused.
   */
  private async land(b: {
    tp: TopicPartition
    block: Block
    token: string
    bucket: Buffered
    n: number
    body: Buffer[]
  }): Promise<number> {
    const { table, writer, encoder, onRefused } = this.opts
    const { n } = b
    try {
      await writer.insertRaw(table, b.body, n, encoder.format, b.token, b.tp.partition)
      return 0
    } catch (err) {
      if (!onRefused || !isRowDataRefusal(err)) throw err
    }
    const refused = await insertFindingRefused(splitRows(b.body), (part, rows, from) =>
      writer.insertRaw(
        table,
        part,
        rows,
        encoder.format,
        rows === n ? b.token : `${b.token}:r${from}+${rows}`,
        b.tp.partition,
      ),
    )
    if (refused.length === 0) return 0
    await onRefused(
      b.tp,
      b.block,
      refused.map((r) => ({ record: b.bucket.records.get(r.index), reason: r.reason })),
    )
    const gone = new Set(refused.map((r) => r.index))
    b.bucket.tally.take()
    for (let i = 0; i < b.bucket.records.length; i++)
      if (!gone.has(i)) b.bucket.tally.add(b.bucket.records.get(i))
    return refused.length
  }

  retainOnly(owned: ReadonlySet<string>): void {
    this.blocks.retainOnly(owned)
    this.held = 0
    for (const b of this.blocks.buckets()) this.held += b.rows.rows
  }
}
