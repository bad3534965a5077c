import { TributaryError } from '../errors/tributary-error.ts'
import type { PartitionCommit, PartitionRef } from './state-store.ts'

/**
 * Checks run before anything is sent. Redis rolls a transaction back only for errors it sees while
 * queueing (syntax, arity); a bad score fails at execution, after the transaction's other commands
 * have applied. Rejecting such input up front is what keeps each checkpoint all-or-nothing.
 */

/**
 * `|` separates the parts of a partition's identity and `{` `}` delimit the Redis Cluster hash tag,
 * so a name containing them could alias another partition or split its keys across slots.
 */
const RESERVED = /[|{}]/

export function checkRef(ref: PartitionRef): void {
  if (ref.topology.length === 0 || RESERVED.test(ref.topology)) {
    throw invalid(`topology name ${JSON.stringify(ref.topology)} must be non-empty and free of | { }`)
  }
  if (ref.topic.length === 0 || RESERVED.test(ref.topic)) {
    throw invalid(`topic name ${JSON.stringify(ref.topic)} must be non-empty and free of | { }`)
  }
  if (!Number.isSafeInteger(ref.partition) || ref.partition < 0) {
    throw invalid(`partition ${ref.partition} must be a non-negative integer`)
  }
}

export function checkCommit(c: PartitionCommit): void {
  checkRef(c.ref)
  if (!/^(0|[1-9][0-9]*)$/.test(c.offset)) {
    throw invalid(
      `offset ${JSON.stringify(c.offset)} of ${describeRef(c.ref)} must be a non-negative integer`,
    )
  }
  const { keys, expiries } = c.changes.dedupAdd
  for (let i = 0; i < expiries.length; i++) {
    if (!Number.isFinite(expiries[i])) {
      throw invalid(`dedup key ${JSON.stringify(keys[i])} of ${describeRef(c.ref)} has expiry ${expiries[i]}`)
    }
  }
}

export function describeRef(ref: PartitionRef): string {
  return `${ref.topology}/${ref.topic}/${ref.partition}`
}

function invalid(message: string): TributaryError {
  return new TributaryError('STATE_INVALID', `state checkpoint rejected: ${message}`)
}

/** `now` bounds dedup expiry; Redis would reject a non-finite bound only at execution time. */
export function checkNow(now: number): void {
  if (!Number.isFinite(now)) throw invalid(`now ${now} must be a finite epoch ms`)
}
