import type { FlushResult, Sink } from './sink.ts'

/** The in-memory twin of every sink: what the test driver reads back. */
export class MemorySink<T> implements Sink<T> {
  readonly name: string
  readonly flushed: T[] = []
  private buffer: T[] = []

  constructor(name: string) {
    this.name = name
  }

  add(item: T): void {
    this.buffer.push(item)
  }

  get pending(): number {
    return this.buffer.length
  }

  /** Everything added, flushed or not: what a reader sees once the next checkpoint lands. */
  get all(): readonly T[] {
    return [...this.flushed, ...this.buffer]
  }

  async flush(): Promise<FlushResult> {
    const rows = this.buffer.length
    this.flushed.push(...this.buffer)
    this.buffer = []
    return { sink: this.name, rows, durationMs: 0 }
  }
}
