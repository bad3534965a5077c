import { partitionKey } from '../records/partition.ts'
import type { KafkaRecord } from '../records/record.ts'

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
  /** Records come a partition's batch at a time: most find the range of the record before. */
  private last: PartitionRange | undefined

  add(r: KafkaRecord): void {
    const offset = Number(r.offset)
    let range = this.last
    if (range === undefined || range.partition !== r.partition || range.topic !== r.topic) {
      const k = partitionKey(r.topic, r.partition)
      range = this.ranges.get(k)
      if (range === undefined) {
        range = { topic: r.topic, partition: r.partition, count: 1, from: offset, to: offset }
        this.ranges.set(k, range)
        this.last = range
        return
      }
      this.last = range
    }
    range.count++
    if (offset < range.from) range.from = offset
    if (offset > range.to) range.to = offset
  }

  /** Returns what was tallied and starts afresh. */
  take(): PartitionRange[] {
    const out = [...this.ranges.values()]
    this.ranges = new Map()
    this.last = undefined
    return out
  }
}
