// The errors come from kafkajs' own code (its protocol error table and its retrier, which wraps what
// consumer.commitOffsets throws), not from hand-made look-alikes.
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { test } from 'node:test'
import { kafkaErrorType, refusedByRebalance } from '../../src/sources/kafka/rebalance-error.ts'

const require = createRequire(import.meta.url)
const { createErrorFromCode } = require('kafkajs/src/protocol/error') as {
  createErrorFromCode: (code: number) => Error & { type: string }
}
const createRetry = require('kafkajs/src/retry') as (
  opts: object,
) => (fn: () => Promise<never>) => Promise<never>

/** What the consumer's retrier rejects with when the commit request fails with `code`. */
async function thrownByRetrier(code: number): Promise<unknown> {
  const retrier = createRetry({ retries: 1, initialRetryTime: 1, maxRetryTime: 2 })
  return retrier(async () => {
    throw createErrorFromCode(code)
  }).catch((e: unknown) => e)
}

const CODES = {
  UNKNOWN_MEMBER_ID: 25,
  ILLEGAL_GENERATION: 22,
  REBALANCE_IN_PROGRESS: 27,
  NOT_COORDINATOR_FOR_GROUP: 16,
}

test('a commit refused by a rebalance is recognised through kafkajs wrapping (KafkaJSNonRetriableError, retries exceeded)', async () => {
  for (const [type, code] of Object.entries(CODES)) {
    const err = await thrownByRetrier(code)
    assert.notEqual((err as { type?: string }).type, type, `kafkajs now sets type on the wrapper of ${type}`)
    assert.match((err as Error).name, /KafkaJSNonRetriableError|KafkaJSNumberOfRetriesExceeded/)
    assert.equal(kafkaErrorType(err), type)
    assert.equal(refusedByRebalance(err), true, type)
    assert.equal(refusedByRebalance(createErrorFromCode(code)), true, `${type} unwrapped`)
  }
})

test('other failures are not mistaken for a rebalance', async () => {
  assert.equal(refusedByRebalance(await thrownByRetrier(29)), false) // TOPIC_AUTHORIZATION_FAILED
  assert.equal(refusedByRebalance(new Error('connect ECONNREFUSED 127.0.0.1:9092')), false)
  assert.equal(refusedByRebalance(undefined), false)
  const cyclic: { cause?: unknown } = {}
  cyclic.cause = cyclic
  assert.equal(refusedByRebalance(cyclic), false)
})
