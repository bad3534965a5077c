import type { Producer } from 'kafkajs'
import type { ClickHouse } from '../src/clickhouse/client.ts'
import { quoteTable } from '../src/clickhouse/identifiers.ts'
import { bindFormat } from '../src/serde/bind.ts'
import { avro, json } from '../src/serde/format.ts'
import { idempotentProducer } from '../src/sources/kafka/producer.ts'
import { type BenchContext, type Contender, runName } from './contender.ts'
import type { Variant } from './dataset.ts'
import { benchEventSchema, eventAt } from './event.ts'
import { WorkerProcess } from './worker-process.ts'

export interface LatencyResult {
  readonly id: string
  readonly label: string
  readonly variant: Variant
  readonly targetRate: number
  readonly achievedRate: number
  readonly events: number
  readonly p50Ms: number
  readonly p99Ms: number
  readonly maxMs: number
}

/** How often ClickHouse is asked what is visible: the resolution of every latency below. */
const POLL_MS = 50
const UNKNOWN_TABLE = 60
/** Produce ticks; each sends whatever the target rate says is due by then. */
const TICK_MS = 10

interface Sent {
  readonly partition: number
  readonly offset: number
  readonly at: number
}

/**
 * Produce time to visible row, at a fixed produce rate, with the contender already running and
 * caught up (so this is latency, not backlog):
 * - each message's produce time is taken just before its send, and its offset comes from the
 *   broker's acknowledgement (partitions are assigned round-robin by the producer);
 * - every POLL_MS, ClickHouse is asked for the highest `_offset` per `_partition` in the
 *   contender's table. Rows of a partition are written in offset order, so when that maximum
 *   reaches an offset every earlier one is visible too: a message is visible at the first poll
 *   whose answer covers it (the time the answer arrived, so a latency is over-stated by at most
 *   one poll interval, never under-stated).
 */
export async function measureLatency(
  ctx: BenchContext,
  contender: Contender,
  options: { rate: number; seconds: number },
): Promise<LatencyResult> {
  if (!contender.worker) throw new Error(`${contender.id} cannot run live: it is not a worker`)
  const name = runName(ctx, `${contender.id}-latency`)
  const partitions = ctx.dataset.partitions
  await ctx.kafka.createTopic(name, partitions)
  const spec = await contender.worker(ctx, name, name)
  const serde = bindFormat(
    contender.variant === 'avro' ? avro(benchEventSchema) : json(benchEventSchema),
    ctx.registry,
  )
  const producer = idempotentProducer(ctx.kafka.kafka)
  await producer.connect()
  const worker = await WorkerProcess.start(spec)
  const visibility = new Visibility(ctx.clickhouse, spec.table)
  try {
    let next = 0
    const send = async (count: number): Promise<Sent[]> => {
      const messages = []
      for (let k = 0; k < count; k++, next++) {
        const event = eventAt(next, Date.now())
        messages.push({
          partition: next % partitions,
          key: event.event_id,
          value: await serde.encode(event, name),
        })
      }
      return sendTimed(producer, name, messages)
    }
    // Warm-up, untimed: one message per partition, visible before measuring (group joined, tables made).
    const warm = await send(partitions)
    await worker.whileAlive(visibility.until(warm, ctx.timeoutMs))
    const started = Date.now()
    const sent: Sent[] = []
    for (let elapsed = 0; elapsed < options.seconds * 1000; elapsed = Date.now() - started) {
      const due = Math.floor((elapsed * options.rate) / 1000) - sent.length
      if (due > 0) sent.push(...(await send(due)))
      await new Promise((r) => setTimeout(r, TICK_MS))
    }
    const producedFor = (Date.now() - started) / 1000
    const visibleAt = await worker.whileAlive(visibility.until(sent, ctx.timeoutMs))
    const latencies = sent.map((s, i) => visibleAt[i]! - s.at).sort((a, b) => a - b)
    return {
      id: contender.id,
      label: contender.label,
      variant: contender.variant,
      targetRate: options.rate,
      achievedRate: sent.length / producedFor,
      events: sent.length,
      p50Ms: percentile(latencies, 0.5),
      p99Ms: percentile(latencies, 0.99),
      maxMs: latencies.at(-1) ?? 0,
    }
  } finally {
    await visibility.stop()
    await producer.disconnect()
    await worker.stop()
  }
}

/** Sends one request and reads each message's offset from the acknowledgement. */
async function sendTimed(
  producer: Producer,
  topic: string,
  messages: { partition: number; key: string; value: Buffer }[],
): Promise<Sent[]> {
  const at = Date.now()
  const acks = await producer.send({
    topic,
    messages: messages.map((m) => ({ ...m, timestamp: String(at) })),
  })
  const base = new Map(acks.map((a) => [a.partition, Number(a.baseOffset)]))
  // kafkajs keeps the order of a partition's messages in its record batch: offsets count up from base.
  const seen = new Map<number, number>()
  return messages.map((m) => {
    const k = seen.get(m.partition) ?? 0
    seen.set(m.partition, k + 1)
    return { partition: m.partition, offset: base.get(m.partition)! + k, at }
  })
}

/**
 * What ClickHouse shows of a table's lineage, polled in the background from construction to
 * `stop()`: per partition, when each new maximum offset appeared.
 */
class Visibility {
  readonly #ch: ClickHouse
  readonly #table: string
  readonly #history = new Map<number, { offset: number; at: number }[]>()
  #running = true
  #failure: unknown
  #polled = deferred()
  readonly #loop: Promise<void>

  constructor(ch: ClickHouse, table: string) {
    this.#ch = ch
    this.#table = table
    this.#loop = this.#run()
  }

  /** Waits until every message in `sent` is visible; returns when each became so. */
  async until(sent: readonly Sent[], timeoutMs: number): Promise<number[]> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      if (this.#failure !== undefined) throw this.#failure
      const at = sent.map((s) => this.#visibleAt(s))
      if (at.every((t) => t !== null)) return at as number[]
      if (Date.now() > deadline)
        throw new Error(`rows still not visible in ${this.#table} after ${timeoutMs / 1000} s`)
      await this.#polled.promise
    }
  }

  async stop(): Promise<void> {
    this.#running = false
    await this.#loop
  }

  async #run(): Promise<void> {
    while (this.#running && this.#failure === undefined) {
      try {
        await this.#poll()
      } catch (err) {
        this.#failure = err
      }
      const polled = this.#polled
      this.#polled = deferred()
      polled.resolve()
      await new Promise((r) => setTimeout(r, POLL_MS))
    }
  }

  async #poll(): Promise<void> {
    let rows: { p: number; o: string }[]
    try {
      rows = await this.#ch.query<{ p: number; o: string }>(
        `SELECT _partition AS p, max(_offset) AS o FROM ${quoteTable(this.#table)} GROUP BY _partition`,
      )
    } catch (err) {
      // Tributary creates its tables as it starts: until then, nothing is visible.
      if ((err as { clickhouseCode?: number }).clickhouseCode === UNKNOWN_TABLE) return
      throw err
    }
    const at = Date.now()
    for (const { p, o } of rows) {
      const h = this.#history.get(p) ?? []
      this.#history.set(p, h)
      if (h.length === 0 || h.at(-1)!.offset < Number(o)) h.push({ offset: Number(o), at })
    }
  }

  #visibleAt(s: Sent): number | null {
    const h = this.#history.get(s.partition) ?? []
    // Ordered by time and offset alike: the first entry covering the offset is when it appeared.
    let lo = 0
    let hi = h.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (h[mid]!.offset >= s.offset) hi = mid
      else lo = mid + 1
    }
    return lo < h.length ? h[lo]!.at : null
  }
}

/** Promise.withResolvers, which the project's ES2023 lib does not type yet. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void
  const promise = new Promise<void>((r) => {
    resolve = r
  })
  return { promise, resolve }
}

function percentile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0
}
