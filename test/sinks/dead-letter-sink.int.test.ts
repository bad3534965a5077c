// Real services: Kafka. A reject the DLQ topic refuses as too large is sent again truncated, even when
// the limit the sink knew was wrong (the topic's max.message.bytes lowered while running).
import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { Kafka, logLevel, Partitioners } from 'kafkajs'
import { DeadLetterSink } from '../../src/sinks/dead-letter-sink.ts'
import type { KafkaRecord } from '../../src/topology/record.ts'
import { readTopic, testConfig, uniqueName } from '../support/engine.ts'

const config = testConfig()
const kafka = new Kafka({ brokers: [...config.kafka.brokers], logLevel: logLevel.NOTHING })
const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner })
after(() => producer.disconnect())

test('a reject refused as too large is re-sent cut to fit, saying so', async () => {
  const topic = uniqueName('dlq-small')
  const admin = kafka.admin()
  await admin.connect()
  await admin.createTopics({
    topics: [{ topic, configEntries: [{ name: 'max.message.bytes', value: '100000' }] }],
    waitForLeaders: true,
  })
  await admin.disconnect()
  await producer.connect()
  const sink = new DeadLetterSink({
    producer,
    topic,
    withRetry: (fn) => fn(),
    maxMessageBytes: 4 * 1024 * 1024, // stale: the topic takes far less
  })
  const value = Buffer.alloc(300_000, 0x43)
  const source: KafkaRecord = {
    topic: 't',
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
  await sink.flush()
  const [m] = await readTopic(config, topic, 1)
  assert.ok(m?.value && m.value.length < 100_000, `value of ${m?.value?.length} bytes`)
  assert.equal(m.headers['tributary.truncated'], String(value.length))
})
