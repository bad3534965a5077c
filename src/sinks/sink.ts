/** One input partition's part of an epoch: its epoch number and the input offsets it covers. */
export interface Block {
  /** `<epoch number>:<from>-<to>`. */
  readonly id: string
  /** The last input offset it covers (below `from` when it covers none: rows an idle tick made). */
  readonly to: string
}

/**
 * The blocks of one epoch, per input partition (`partitionKey`). A sink writes one block per (sink,
 * listed partition) and identifies it by the block's id, so the replay of an epoch after a crash
 * re-forms the same blocks, which the target drops as duplicates.
 */
export type EpochBlocks = ReadonlyMap<string, Block>

/**
 * Sinks, after Quix Streams: `add` is cheap and synchronous (the pipeline stays synchronous),
 * `flush` is durable and called by the checkpoint; a failed flush aborts the checkpoint, so the
 * offsets of records it held are never committed.
 */
export interface Sink<T> {
  readonly name: string
  add(item: T): void
  /** Items added and not yet flushed. */
  readonly pending: number
  /**
   * Takes what was added so far for the listed partitions, synchronously, at the call, then writes
   * it, one block per partition: items added while the write is under way, and items of partitions
   * not listed, belong to a later flush (the epoch relies on this to overlap its writes with the
   * next records, and to hold back a partition whose replayed epoch is not complete yet). Writes
   * nothing before `ready` resolves (the epoch's intents are recorded), and fails with it.
   */
  flush(blocks: EpochBlocks, ready?: Promise<void>): Promise<FlushResult>
  /** Drops what is held for partitions not in `owned` (`partitionKey`): their new owner re-reads them. */
  retainOnly(owned: ReadonlySet<string>): void
}

export interface FlushResult {
  readonly sink: string
  readonly rows: number
  readonly durationMs: number
}
