/** Where a record sits in Kafka, as every per-partition map, offset and event names it. */
export interface TopicPartition {
  readonly topic: string
  readonly partition: number
}

export interface TopicPartitionOffset extends TopicPartition {
  /** The next offset to read: last processed + 1, as Kafka commits it. */
  readonly offset: string
}

/** One key per input partition, for every per-partition map (state, offsets, windows, tallies). */
export function partitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`
}

export function parsePartitionKey(key: string): TopicPartition {
  const at = key.lastIndexOf('\u0000')
  return { topic: key.slice(0, at), partition: Number(key.slice(at + 1)) }
}
