import { partitionKey, type TopicPartition } from '../records/partition.ts'

/**
 * What a sink holds, per input partition: a sink flushes a partition's items as one block, and
 * holds or drops them per partition. Records come a partition's batch at a time, so the last
 * partition's lookup is reused instead of building a key per item.
 */
export class Partitioned<B> {
  private readonly parts = new Map<string, { readonly tp: TopicPartition; bucket: B }>()
  private last: { readonly tp: TopicPartition; bucket: B } | undefined
  private readonly make: () => B

  constructor(make: () => B) {
    this.make = make
  }

  /** The bucket of a partition, made on first use. */
  of(topic: string, partition: number): B {
    const last = this.last
    if (last !== undefined && last.tp.partition === partition && last.tp.topic === topic) return last.bucket
    const key = partitionKey(topic, partition)
    let part = this.parts.get(key)
    if (part === undefined) {
      part = { tp: { topic, partition }, bucket: this.make() }
      this.parts.set(key, part)
    }
    this.last = part
    return part.bucket
  }

  /** Takes the buckets of the listed partitions (`partitionKey`), leaving the others. */
  take(keys: Iterable<string>): { tp: TopicPartition; key: string; bucket: B }[] {
    const out: { tp: TopicPartition; key: string; bucket: B }[] = []
    for (const key of keys) {
      const part = this.parts.get(key)
      if (!part) continue
      this.parts.delete(key)
      out.push({ tp: part.tp, key, bucket: part.bucket })
    }
    this.last = undefined
    return out
  }

  retainOnly(owned: ReadonlySet<string>): void {
    for (const key of [...this.parts.keys()]) if (!owned.has(key)) this.parts.delete(key)
    this.last = undefined
  }

  buckets(): IterableIterator<B> {
    return [...this.parts.values()].map((p) => p.bucket)[Symbol.iterator]()
  }
}
