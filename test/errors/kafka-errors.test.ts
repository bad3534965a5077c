// The errors come from kafkajs' own code (its protocol error table and its retrier, which wraps what
// consumer.commitOffsets and the producer throw), not from hand-made look-alikes.
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { test } from 'node:test'
import kafkajs from 'kafkajs'
import { groupMovedOn, permanentKafkaError, protocolTypes } from '../../src/errors/kafka-errors.ts'

const require = createRequire(import.meta.url)
const { createErrorFromCode } = require('kafkajs/src/protocol/error') as {
  createErrorFromCode: (code: number) => Error & { type: string }
}
const createRetry = require('kafkajs/src/retry') as (
  opts: object,
) => (fn: () => Promise<never>) => Promise<never>
const { KafkaJSConnectionError } = kafkajs

/** What kafkajs' retrier rejects with when the request keeps failing with `error`. */
async function thrownByRetrier(error: Error): Promise<unknown> {
  const retrier = createRetry({ retries: 1, initialRetryTime: 1, maxRetryTime: 2 })
  return retrier(async () => {
    throw error
  }).catch((e: unknown) => e)
}

const MOVED_ON = {
  UNKNOWN_MEMBER_ID: 25,
  ILLEGAL_GENERATION: 22,
  REBALANCE_IN_PROGRESS: 27,
  NOT_COORDINATOR_FOR_GROUP: 16,
}

test('a commit refused because the group moved on is recognised through kafkajs wrapping', async () => {
  for (const [type, code] of Object.entries(MOVED_ON)) {
    const err = await thrownByRetrier(createErrorFromCode(code))
    assert.notEqual((err as { type?: string }).type, type, `kafkajs now sets type on the wrapper of ${type}`)
    assert.match((err as Error).name, /KafkaJSNonRetriableError|KafkaJSNumberOfRetriesExceeded/)
    assert.deepEqual(protocolTypes(err), [type])
    assert.equal(groupMovedOn(err), type)
    assert.equal(groupMovedOn(createErrorFromCode(code)), type, `${type} unwrapped`)
  }
})

test('other failures are not a group moving on', async () => {
  assert.equal(groupMovedOn(await thrownByRetrier(createErrorFromCode(29))), undefined) // TOPIC_AUTHORIZATION_FAILED
  assert.equal(groupMovedOn(new KafkaJSConnectionError('connect ECONNREFUSED 127.0.0.1:9092')), undefined)
  assert.equal(groupMovedOn(undefined), undefined)
  const cyclic: { cause?: unknown } = {}
  cyclic.cause = cyclic
  assert.equal(groupMovedOn(cyclic), undefined)
})

test('a fenced producer is permanent; a broker outage behind kafkajs exhausted retries is waited out', async () => {
  assert.equal(permanentKafkaError(await thrownByRetrier(createErrorFromCode(47))), 'INVALID_PRODUCER_EPOCH')
  const down = await thrownByRetrier(new KafkaJSConnectionError('connect ECONNREFUSED 127.0.0.1:9092'))
  assert.equal((down as { retriable?: boolean }).retriable, false, 'kafkajs calls it non-retriable')
  assert.equal(permanentKafkaError(down), undefined)
})
