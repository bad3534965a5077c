import type { EpochBlocks, FlushResult, Sink } from './sink.ts'

/** One stream, several durable destinations (a rejection goes to the DLQ topic and quarantine). */
export class FanoutSink<T> implements Sink<T> {
  readonly name: string
  readonly sinks: readonly Sink<T>[]

  constructor(name: string, sinks: readonly Sink<T>[]) {
    this.name = name
    this.sinks = sinks
  }

  add(item: T): void {
    for (const s of this.sinks) s.add(item)
  }

  get pending(): number {
    return Math.max(0, ...this.sinks.map((s) => s.pending))
  }

  async flush(blocks: EpochBlocks, ready?: Promise<void>): Promise<FlushResult> {
    const results = await Promise.all(this.sinks.map((s) => s.flush(blocks, ready)))
    return {
      sink: this.name,
      rows: results[0]?.rows ?? 0,
      durationMs: Math.max(0, ...results.map((r) => r.durationMs)),
    }
  }

  retainOnly(owned: ReadonlySet<string>): void {
    for (const s of this.sinks) s.retainOnly(owned)
  }
}
