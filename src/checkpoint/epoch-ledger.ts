import { partitionKey, type TopicPartition } from '../records/partition.ts'
import type { Block } from '../sinks/sink.ts'

/**
 * An epoch's record of what it is about to write for one partition, saved before any of it is:
 * after a crash, the partition's next owner re-forms exactly these blocks from the replayed
 * records (same offsets, same ingest time, same ids), and the target drops them as duplicates.
 */
export interface Intent {
  /** The partition's epoch number. */
  readonly n: number
  /** First and last input offset the epoch covers (empty when `to` < `from`: rows an idle tick made). */
  readonly from: string
  readonly to: string
  readonly ingestTime: number
}

/** State meta fields the ledger keeps with each partition's checkpoint. */
export const LEDGER_META = { epoch: 'epoch', intent: 'intent' } as const

interface Open {
  /** The number the partition's next epoch gets. */
  n: number
  /** The ingest time of the open epoch's rows, fixed by its first row. */
  ingestTime: number | undefined
  /** An intent found at restore: the epoch to re-form before anything else. */
  replay: Intent | undefined
}

/** One partition's part in an epoch. */
export interface PartitionEpoch extends TopicPartition {
  readonly key: string
  readonly intent: Intent
  /** What every sink writes for this partition, named `<n>:<from>-<to>`. */
  readonly block: Block
}

/**
 * Per partition: the epoch number, the ingest time of the rows not yet in an epoch, and an intent
 * to replay. Deterministic epochs hang on it: what an epoch writes is decided before it is written,
 * recorded (`Intent`), and after a crash re-formed from the record.
 */
export class EpochLedger {
  private readonly parts = new Map<string, Open>()
  private readonly clock: () => number
  private last: { topic: string; partition: number; open: Open } | undefined

  constructor(clock: () => number = Date.now) {
    this.clock = clock
  }

  /**
   * A partition's checkpoint was loaded: its epoch number, and an intent it left unfinished. An
   * intent that covers no records (rows an idle tick made) cannot be re-formed from records: it is
   * given up, and its number is not used again, so no later block takes its name.
   */
  restore(topic: string, partition: number, meta: Readonly<Record<string, string>>): void {
    const raw = meta[LEDGER_META.intent]
    const intent = raw ? (JSON.parse(raw) as Intent) : undefined
    const replay = intent && BigInt(intent.to) >= BigInt(intent.from) ? intent : undefined
    this.parts.set(partitionKey(topic, partition), {
      n: intent ? intent.n + (replay ? 0 : 1) : Number(meta[LEDGER_META.epoch] ?? 0),
      ingestTime: replay?.ingestTime,
      replay,
    })
    this.last = undefined
  }

  private open(topic: string, partition: number): Open {
    const last = this.last
    if (last !== undefined && last.partition === partition && last.topic === topic) return last.open
    const key = partitionKey(topic, partition)
    let open = this.parts.get(key)
    if (open === undefined) {
      open = { n: 0, ingestTime: undefined, replay: undefined }
      this.parts.set(key, open)
    }
    this.last = { topic, partition, open }
    return open
  }

  /** The ingest time of a partition's rows until its next epoch: the intent's on a replay. */
  ingestTime(topic: string, partition: number): number {
    const open = this.open(topic, partition)
    open.ingestTime ??= this.clock()
    return open.ingestTime
  }

  /**
   * Where a batch must be cut so that the epoch a partition re-forms ends exactly where its intent
   * says, whatever the batches look like now: the number of leading records that belong to it,
   * when this batch reaches that end; null when the partition re-forms none, or not yet.
   */
  replayCut(topic: string, partition: number, offsets: readonly string[]): number | null {
    const open = this.parts.get(partitionKey(topic, partition))
    const replay = open?.replay
    if (!open || !replay || offsets.length === 0) return null
    const end = BigInt(replay.to)
    // Its records are gone (retention, compaction): the epoch cannot be re-formed; give it up.
    if (BigInt(offsets[0]!) > end) {
      open.replay = undefined
      open.ingestTime = undefined
      open.n = replay.n + 1
      return null
    }
    if (BigInt(offsets[offsets.length - 1]!) < end) return null
    const beyond = offsets.findIndex((o) => BigInt(o) > end)
    return beyond === -1 ? offsets.length : beyond
  }

  /**
   * Partitions (`partitionKey`) that must stay out of the next epoch: those re-forming an epoch
   * whose records have not reached its recorded end (`readTo`: the last offset each read).
   */
  held(readTo: (key: string) => bigint | null): Set<string> {
    const out = new Set<string>()
    for (const [key, open] of this.parts) {
      if (!open.replay) continue
      const to = readTo(key)
      if (to === null || to < BigInt(open.replay.to)) out.add(key)
    }
    return out
  }

  /** Fixes each partition's part in an epoch: its number, its range, its ingest time. */
  begin(parts: readonly (TopicPartition & { from: string; to: string })[]): PartitionEpoch[] {
    return parts.map((p) => {
      const open = this.open(p.topic, p.partition)
      const replay = open.replay
      const intent: Intent = replay ?? {
        n: open.n,
        from: p.from,
        to: p.to,
        ingestTime: open.ingestTime ?? this.clock(),
      }
      open.n = intent.n + 1
      open.ingestTime = undefined
      open.replay = undefined
      return {
        topic: p.topic,
        partition: p.partition,
        key: partitionKey(p.topic, p.partition),
        intent,
        block: { id: `${intent.n}:${intent.from}-${intent.to}`, to: intent.to },
      }
    })
  }

  retainOnly(owned: ReadonlySet<string>): void {
    for (const key of [...this.parts.keys()]) if (!owned.has(key)) this.parts.delete(key)
    this.last = undefined
  }
}
