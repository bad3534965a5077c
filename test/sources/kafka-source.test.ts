import assert from 'node:assert/strict'
import { test } from 'node:test'
import kafkajs from 'kafkajs'
import { groupMovedOn, permanentKafkaError } from '../../src/errors/kafka-errors.ts'

const { KafkaJSConnectionError, KafkaJSNonRetriableError, KafkaJSProtocolError } = kafkajs

const protocol = (type: string, code: number) =>
  new KafkaJSProtocolError({ type, code, retriable: false, message: `${type} from the broker` } as never)

test('a lost membership is recognised through the wrapping kafkajs puts around it', () => {
  const unknown = protocol('UNKNOWN_MEMBER_ID', 25)
  // What kafkajs' retrier throws for a non-retriable protocol error (src/retry/index.js).
  const wrapped: Error = Reflect.construct(KafkaJSNonRetriableError, [unknown, { cause: unknown }])
  assert.equal((wrapped as { type?: string }).type, undefined, 'the wrapper has no type of its own')
  assert.equal(groupMovedOn(wrapped), 'UNKNOWN_MEMBER_ID')
  assert.equal(groupMovedOn(protocol('REBALANCE_IN_PROGRESS', 27)), 'REBALANCE_IN_PROGRESS')
  assert.equal(groupMovedOn(protocol('ILLEGAL_GENERATION', 22)), 'ILLEGAL_GENERATION')
})

test('other failures are not a group moving on', () => {
  assert.equal(groupMovedOn(new KafkaJSConnectionError('connect ECONNREFUSED 127.0.0.1:9092')), undefined)
  assert.equal(groupMovedOn(protocol('TOPIC_AUTHORIZATION_FAILED', 29)), undefined)
  assert.equal(groupMovedOn(undefined), undefined)
})

test("a fenced producer is permanent; a broker outage behind kafkajs' exhausted retries is not", () => {
  const fenced = protocol('INVALID_PRODUCER_EPOCH', 47)
  assert.equal(
    permanentKafkaError(Reflect.construct(KafkaJSNonRetriableError, [fenced, { cause: fenced }])),
    'INVALID_PRODUCER_EPOCH',
  )
  const down = new KafkaJSConnectionError('connect ECONNREFUSED 127.0.0.1:9092')
  assert.equal(
    permanentKafkaError(Reflect.construct(KafkaJSNonRetriableError, [down, { cause: down }])),
    undefined,
  )
})
