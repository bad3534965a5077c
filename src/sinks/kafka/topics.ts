import type { Kafka } from 'kafkajs'

/** Creates a topic with the broker's defaults unless it exists. */
export async function ensureTopic(kafka: Kafka, topic: string): Promise<void> {
  const admin = kafka.admin()
  await admin.connect()
  try {
    const existing = await admin.listTopics()
    if (!existing.includes(topic)) await admin.createTopics({ topics: [{ topic }], waitForLeaders: true })
  } finally {
    await admin.disconnect()
  }
}
