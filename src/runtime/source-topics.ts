import type { Kafka } from 'kafkajs'
import type { Logger } from 'pino'
import { DEPENDENCIES, waitOn } from './dependency.ts'

export type MissingTopics = 'wait' | 'create'

const POLL_MS = 1_000

/**
 * Makes sure every source topic exists before the consumer subscribes: a consumer subscribed to a
 * missing topic fails later with "This server does not host this topic-partition", naming nothing.
 * `create` creates it with the broker's default partitions; `wait` waits (logged, naming the topic
 * and `source.missingTopics`) until someone else creates it.
 */
export async function ensureSourceTopics(
  kafka: Kafka,
  topics: readonly string[],
  mode: MissingTopics,
  { log, signal }: { log: Logger; signal: AbortSignal },
): Promise<void> {
  const admin = kafka.admin()
  await admin.connect()
  try {
    const missing = async () => {
      const existing = new Set(await admin.listTopics())
      return topics.filter((t) => !existing.has(t))
    }
    let absent = await missing()
    if (absent.length === 0) return
    if (mode === 'create') {
      log.warn(
        { topics: absent },
        `creating missing source topics ${absent.join(', ')} (source.missingTopics=create)`,
      )
      await admin.createTopics({ topics: absent.map((topic) => ({ topic })), waitForLeaders: true })
      return
    }
    await waitOn(
      { ...DEPENDENCIES.kafka, setting: 'source.missingTopics' },
      `source topics ${absent.join(', ')} do not exist; create them, or set source.missingTopics=create`,
      async () => {
        while (absent.length > 0) {
          signal.throwIfAborted()
          await new Promise((r) => setTimeout(r, POLL_MS))
          absent = await missing()
        }
      },
      { log, signal },
    )
  } finally {
    await admin.disconnect()
  }
}
