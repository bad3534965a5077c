// Real services: Kafka. A reject the DLQ topic refuses as too large is sent again truncated, even when
// the limit the sink knew was wrong (the topic's max.message.bytes lowered while running), in the
// sink's transactions.
import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { Kafka, logLevel } from 'kafkajs'
import { permanentKafkaError } from '../../src/errors/kafka-errors.ts'
import { partitionKey } from '../../src/records/partition.ts'
import type { KafkaRecord } from '../../src/records/record.ts'
import { retry } from '../../src/resilience/retry.ts'
import { DeadLetterSink } from '../../src/sinks/dead-letter-sink.ts'
import { TransactionalDeadLetters } from '../../src/sinks/kafka/dead-letter-transport.ts'
import { readTopic, testConfig, uniqueName } from '../support/engine.ts'

const config = testConfig()
const kafka = new Kafka({ brokers: [...config.kafka.brokers], logLevel: logLevel.NOTHING })
const transports: TransactionalDeadLetters[] = []
after(() => Promise.all(transports.map((t) => t.close())))

test('a reject refused as too large is re-sent cut to fit, saying so', async () => {
  const topic = uniqueName('dlq-small')
  const admin = kafka.admin()
  await admin.connect()
  // The input topic too: the DLQ's transaction commits a marker for the input partition.
  const input = uniqueName('dlq-input')
  await admin.createTopics({
    topics: [{ topic, configEntries: [{ name: 'max.message.bytes', value: '100000' }] }, { topic: input }],
    waitForLeaders: true,
  })
  await admin.disconnect()
  const transport = new TransactionalDeadLetters({ kafka, topic, group: uniqueName('dlq-test') })
  transports.push(transport)
  const sink = new DeadLetterSink({
    transport,
    topic,
    // As wired in production: a new topic's metadata may lag; anything but a permanent refusal waits.
    withRetry: (fn) =>
      retry(fn, {
        retries: 20,
        baseMs: 50,
        maxMs: 500,
        isRetriable: (e) => permanentKafkaError(e) === undefined,
      }),
    maxMessageBytes: 4 * 1024 * 1024, // stale: the topic takes far less
  })
  const value = Buffer.alloc(300_000, 0x43)
  const source: KafkaRecord = {
    topic: input,
    partition: 0,
    offset: '7',
    timestamp: 0,
    key: null,
    value,
    headers: {},
  }
  sink.add({
    source,
    topology: 'x',
    stage: 'decode',
    code: 'OVERSIZED_PAYLOAD',
    reason: 'too big',
    rules: [],
  })
  await sink.flush(new Map([[partitionKey(input, 0), { id: '0:7-7', to: '7' }]]))
  const [m] = await readTopic(config, topic, 1)
  assert.ok(m?.value && m.value.length < 100_000, `value of ${m?.value?.length} bytes`)
  assert.equal(m.headers['tributary.truncated'], String(value.length))
})
