// Real services: Kafka only (TRIBUTARY_KAFKA_BROKERS, default the local stack's broker). .ci/run also
// points this file at a second broker running Kafka 3.9.x.
import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { type Consumer, Kafka, logLevel, type Producer } from 'kafkajs'
import { idempotentProducer } from '../../src/sources/kafka/producer.ts'
import { stackEndpoints, uniqueName, until } from '../support/stack.ts'

const closers: (() => Promise<void>)[] = []
after(async () => {
  for (const close of closers.reverse()) await close().catch(() => {})
})

test('kafkajs produces and a consumer group consumes every record, in order, then commits', async () => {
  const { kafkaBrokers } = await stackEndpoints('kafka')
  const retried: string[] = []
  const kafka = new Kafka({
    clientId: 'tributary-smoke',
    brokers: kafkaBrokers,
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ log }) => {
        // Kept to report how often the broker answered "coordinator is loading" and similar.
        if (log.error) retried.push(String(log.error))
      },
  })
  const topic = uniqueName('smoke_kafka')
  const groupId = uniqueName('smoke_group')

  const admin = kafka.admin()
  await admin.connect()
  closers.push(() => admin.disconnect())
  assert.equal(
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true }),
    true,
  )

  const producer: Producer = idempotentProducer(kafka)
  await producer.connect()
  closers.push(() => producer.disconnect())
  const sent = Array.from({ length: 50 }, (_, i) => ({ key: `k${i % 5}`, value: JSON.stringify({ i }) }))
  const acks = await producer.send({ topic, messages: sent })
  assert.equal(
    acks.reduce((n, a) => n + (a.errorCode === 0 ? 1 : 0), 0),
    acks.length,
  )

  const consumer: Consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 1000 })
  await consumer.connect()
  closers.push(() => consumer.disconnect())
  await consumer.subscribe({ topic, fromBeginning: true })
  const received: { key: string; i: number; partition: number }[] = []
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      received.push({ key: String(message.key), i: JSON.parse(String(message.value)).i, partition })
    },
  })
  await until(
    'all 50 records consumed',
    async () => (received.length >= sent.length ? true : undefined),
    60_000,
  )

  assert.equal(received.length, sent.length, 'no duplicates')
  assert.deepEqual(
    received.map((r) => r.i).sort((a, b) => a - b),
    sent.map((_, i) => i),
  )
  // Same key, same partition, and in produce order within the key.
  for (const key of new Set(received.map((r) => r.key))) {
    const ofKey = received.filter((r) => r.key === key)
    assert.equal(new Set(ofKey.map((r) => r.partition)).size, 1, `key ${key} stayed on one partition`)
    assert.deepEqual(
      ofKey.map((r) => r.i),
      [...ofKey.map((r) => r.i)].sort((a, b) => a - b),
    )
  }

  // The group's committed offsets reach the end of both partitions.
  const committed = await until(
    'the group to commit to the end',
    async () => {
      const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] })
      const total = (offsets?.partitions ?? []).reduce((n, p) => n + Math.max(0, Number(p.offset)), 0)
      return total === sent.length ? total : undefined
    },
    30_000,
  )
  assert.equal(committed, sent.length)
  if (retried.length > 0)
    console.log(`kafkajs logged ${retried.length} retried errors: ${[...new Set(retried)].join('; ')}`)
})
