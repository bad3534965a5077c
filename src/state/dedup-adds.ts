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

  /** `entries` in order: for tests and stores that take the changes as pairs. */
  static of(entries: Iterable<readonly [key: string, expiresAt: number]>): DedupAdds {
    const adds = new DedupAdds()
    for (const [key, expiresAt] of entries) adds.add(key, expiresAt)
    return adds
  }

  add(key: string, expiresAt: number): void {
    this.keys.push(key)
    this.expiries.push(expiresAt)
  }

  get size(): number {
    return this.keys.length
  }

  *[Symbol.iterator](): Iterator<[key: string, expiresAt: number]> {
    for (let i = 0; i < this.keys.length; i++) yield [this.keys[i]!, this.expiries[i]!]
  }
}
