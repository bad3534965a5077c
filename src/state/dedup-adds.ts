import { decimalLength, utf8Length } from './checkpoint-bytes.ts'

/**
 * The dedup keys one partition's next checkpoint adds, with their expiries, in the order they were
 * admitted. Two flat arrays, not a `[key, expiry]` pair per key: a pair was an array, its backing
 * store and a boxed expiry per admitted record, all living until the checkpoint, so the garbage
 * collector copied them through the young generation and then promoted them. The expiries sit
 * unboxed in a double array. (`bench/pipeline-cpu.ts`: see README, Benchmarks.)
 */
export class DedupAdds implements Iterable<[key: string, expiresAt: number]> {
  readonly keys: string[] = []
  readonly expiries: number[] = []
  /**
   * The keys' UTF-8 bytes and the expiries' decimal digits (checkpointBytes), counted as each key is
   * added: counted at the checkpoint, every key was a cache miss (~160 ms per million events in the
   * engine's profile, against ~20 in a loop over fresh keys).
   */
  bytes = 0

  /** `entries` in order: for tests and stores that take the changes as pairs. */
  static of(entries: Iterable<readonly [key: string, expiresAt: number]>): DedupAdds {
    const adds = new DedupAdds()
    for (const [key, expiresAt] of entries) adds.add(key, expiresAt)
    return adds
  }

  /** `keyBytes`: the key's UTF-8 length, when the caller has it already (PartitionStates.admit). */
  add(key: string, expiresAt: number, keyBytes: number = utf8Length(key)): void {
    this.keys.push(key)
    this.expiries.push(expiresAt)
    this.bytes += keyBytes + decimalLength(expiresAt)
  }

  get size(): number {
    return this.keys.length
  }

  *[Symbol.iterator](): Iterator<[key: string, expiresAt: number]> {
    for (let i = 0; i < this.keys.length; i++) yield [this.keys[i]!, this.expiries[i]!]
  }
}
