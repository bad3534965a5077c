import { Kafka, logLevel } from 'kafkajs'
import { JsonTableWriter } from './json-table-writer.ts'
import { type BaselineParams, FETCH, type Worker } from './life.ts'

/** What a user writes without Tributary on kafkajs: per fetched batch, parse, insert, then commit. */
export const kafkajsBaseline: Worker<BaselineParams> = async (p, life) => {
  const writer = new JsonTableWriter(p.clickhouseUrl, p.table)
  const consumer = new Kafka({ brokers: [...p.brokers], logLevel: logLevel.ERROR }).consumer({
    groupId: p.groupId,
    maxBytesPerPartition: FETCH.maxBytesPerPartition,
    maxBytes: FETCH.maxBytes,
    maxWaitTimeInMs: FETCH.maxWaitMs,
  })
  life.ready()
  await consumer.connect()
  await consumer.subscribe({ topics: [p.topic], fromBeginning: true })
  await consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch }) => {
      await writer.insert(
        batch.messages.map((m) => JsonTableWriter.row(m.value!, batch.partition, Number(m.offset))),
      )
      // Committed only once the rows are in ClickHouse: at-least-once, like the other contenders.
      await consumer.commitOffsets([
        { topic: batch.topic, partition: batch.partition, offset: String(Number(batch.lastOffset()) + 1) },
      ])
    },
  })
  await life.stopped
  await consumer.disconnect()
  await writer.close()
  return {}
}
