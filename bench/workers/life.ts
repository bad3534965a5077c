/**
 * How a worker process and the benchmark talk: the worker calls `ready()` just before it starts
 * consuming (the clock starts there), runs until `stopped` settles (SIGTERM from the benchmark,
 * once the work is judged done), and returns a report printed as its last line.
 */
export interface WorkerLife {
  ready(): void
  readonly stopped: Promise<void>
}

export type Worker<P> = (params: P, life: WorkerLife) => Promise<Record<string, unknown>>

/** Where a hand-written baseline reads and writes: plain values, no Tributary configuration. */
export interface BaselineParams {
  readonly brokers: readonly string[]
  readonly clickhouseUrl: string
  readonly topic: string
  readonly groupId: string
  readonly table: string
}

/**
 * Fetch sizes every Kafka consumer here is given (Tributary's own): so a difference between
 * contenders is what they do with records, not how many bytes a fetch may bring.
 */
export const FETCH = { maxBytesPerPartition: 4 * 1024 * 1024, maxBytes: 32 * 1024 * 1024, maxWaitMs: 200 }
