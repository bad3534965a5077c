import kafkajs, { type Kafka } from 'kafkajs'

// kafkajs is CommonJS and Node's named-export detection misses this one.
const { ConfigResourceTypes } = kafkajs

const MAX_MESSAGE_BYTES = 'max.message.bytes'

/**
 * Makes sure the dead-letter topic exists and returns the largest record batch it accepts. A new
 * one is created to accept what its largest source topic accepts: with the broker default (~1 MiB)
 * a bigger reject would be refused, non-retriably, on every restart. An existing topic is left as
 * its owner configured it; the DLQ sink truncates what it cannot take.
 */
export async function ensureDeadLetterTopic(
  kafka: Kafka,
  topic: string,
  sources: readonly string[],
): Promise<number> {
  const admin = kafka.admin()
  await admin.connect()
  try {
    const maxBytes = async (topics: readonly string[]) => {
      const { resources } = await admin.describeConfigs({
        includeSynonyms: false,
        resources: topics.map((name) => ({
          type: ConfigResourceTypes.TOPIC,
          name,
          configNames: [MAX_MESSAGE_BYTES],
        })),
      })
      return Math.max(
        0,
        ...resources.flatMap((r) =>
          r.configEntries.filter((e) => e.configName === MAX_MESSAGE_BYTES).map((e) => Number(e.configValue)),
        ),
      )
    }
    const existing = await admin.listTopics()
    if (!existing.includes(topic)) {
      const present = sources.filter((s) => existing.includes(s))
      const wanted = present.length > 0 ? await maxBytes(present) : 0
      await admin.createTopics({
        topics: [
          {
            topic,
            ...(wanted > 0 ? { configEntries: [{ name: MAX_MESSAGE_BYTES, value: String(wanted) }] } : {}),
          },
        ],
        waitForLeaders: true,
      })
    }
    return await maxBytes([topic])
  } finally {
    await admin.disconnect()
  }
}
