/**
 * Sinks, after Quix Streams: `add` is cheap and synchronous (the pipeline stays synchronous),
 * `flush` is durable and called by the checkpoint; a failed flush aborts the checkpoint, so the
 * offsets of records it held are never committed.
 */
export interface Sink<T> {
  readonly name: string
  add(item: T): void
  /** Items added since the last successful flush. */
  readonly pending: number
  flush(): Promise<FlushResult>
}

export interface FlushResult {
  readonly sink: string
  readonly rows: number
  readonly durationMs: number
}
