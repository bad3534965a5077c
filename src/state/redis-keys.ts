import type { PartitionRef } from './state-store.ts'

export type StatePart = 'offset' | 'dedup' | 'kv' | 'meta' | 'owner'

/**
 * `tributary:{<topology>|<topic>|<partition>}:<part>`. The braces are a Redis Cluster hash tag: only
 * the text inside them is hashed, so all four keys of a partition share one slot, and a checkpoint
 * touching them can be one transaction there as well as on a single server.
 */
export function stateKey(p: PartitionRef, part: StatePart): string {
  return `tributary:{${p.topology}|${p.topic}|${p.partition}}:${part}`
}

export function stateKeys(p: PartitionRef): Record<StatePart, string> {
  return {
    offset: stateKey(p, 'offset'),
    dedup: stateKey(p, 'dedup'),
    kv: stateKey(p, 'kv'),
    meta: stateKey(p, 'meta'),
    owner: stateKey(p, 'owner'),
  }
}
