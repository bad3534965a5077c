/**
 * Sinks, after Quix Streams: `add` is cheap and synchronous (the pipeline stays synchronous),
 * `flush` is durable and called by the checkpoint; a failed flush aborts the checkpoint, so the
 * offsets of records it held are never committed.
 */
export interface Sink<T> {
  readonly name: string
  add(item: T): void
  /** Items added since the last flush was called. */
  readonly pending: number
  /**
   * Takes what was added so far synchronously, at the call, then writes it: items added while the
   * write is under way belong to the next flush (the epoch relies on this to overlap its writes
   * with the next records).
   */
  flush(): Promise<FlushResult>
}

export interface FlushResult {
  readonly sink: string
  readonly rows: number
  readonly durationMs: number
}
