import { partitionKey } from '../state/partition-states.ts'
import type { KafkaRecord } from '../topology/record.ts'

export interface PartitionRange {
  readonly topic: string
  readonly partition: number
  count: number
  from: number
  to: number
}

/** Per-partition counts and offset ranges of what a sink holds: the processing log's rows. */
export class PartitionTally {
  private ranges = new Map<string, PartitionRange>()

  add(r: KafkaRecord): void {
    const k = partitionKey(r.topic, r.partition)
    const offset = Number(r.offset)
    const range = this.ranges.get(k)
    if (range === undefined) {
      this.ranges.set(k, { topic: r.topic, partition: r.partition, count: 1, from: offset, to: offset })
    } else {
      range.count++
      if (offset < range.from) range.from = offset
      if (offset > range.to) range.to = offset
    }
  }

  /** Returns what was tallied and starts afresh. */
  take(): PartitionRange[] {
    const out = [...this.ranges.values()]
    this.ranges = new Map()
    return out
  }
}
