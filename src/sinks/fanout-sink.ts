import type { FlushResult, Sink } from './sink.ts'

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

  async flush(): Promise<FlushResult> {
    const results = await Promise.all(this.sinks.map((s) => s.flush()))
    return {
      sink: this.name,
      rows: results[0]?.rows ?? 0,
      durationMs: Math.max(0, ...results.map((r) => r.durationMs)),
    }
  }
}
