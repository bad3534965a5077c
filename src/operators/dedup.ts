import type { OperatorFunction } from 'rxjs'
import type { Envelope } from '../records/record.ts'
import type { PipelineStats } from '../records/stats.ts'
import type { PartitionStates } from '../state/partition-states.ts'
import { operator } from './operator.ts'

export interface DedupOptions<T> {
  readonly key: (value: T) => string
  readonly retentionMs: number
  readonly states: PartitionStates
  readonly stats: PipelineStats
  readonly clock: () => number
}

/**
 * Drops a record whose key was seen within the retention, per input partition (duplicates of one
 * event share its key, so they share a partition). Seen keys become state changes that the next
 * checkpoint writes together with the offsets: a crash never forgets a key whose record is
 * already in silver, nor remembers one whose record is not. Memory holds the newest
 * `dedup.maxKeysInMemory` keys (PartitionStates): a duplicate of a key evicted from it passes.
 */
export function dedup<T>(opts: DedupOptions<T>): OperatorFunction<Envelope<T>, Envelope<T>> {
  const { key, retentionMs, states, stats, clock } = opts
  return operator((emit) => (env) => {
    const { topic, partition } = env.source
    const k = key(env.value)
    const now = clock()
    const expiresAt = now + retentionMs
    if (!states.admit(topic, partition, k, now, expiresAt)) {
      stats.duplicates++
      return
    }
    emit(env)
  })
}
