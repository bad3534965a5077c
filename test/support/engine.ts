import { randomBytes } from 'node:crypto'
import { Kafka, logLevel } from 'kafkajs'
import { CliContext } from '../../src/cli/context.ts'
import type { ClickHouse } from '../../src/clickhouse/client.ts'
import { loadConfig, type TributaryConfig } from '../../src/config/config.ts'
import { createLogger } from '../../src/observability/logger.ts'
import { renameTopology } from '../../src/testing/rename.ts'
import { waitFor } from '../../src/testing/wait.ts'
import type { AnyTopology } from '../../src/topology/define.ts'

/** A run-unique name, so tests share the stack without sharing topics, groups or tables. */
export function uniqueName(base: string): string {
  return `${base}-${randomBytes(3).toString('hex')}`
}

export function isolated<T extends AnyTopology>(t: T, base = t.name): T {
  return renameTopology(t, uniqueName(base)) as T
}

export function testConfig(overrides: Record<string, string> = {}): TributaryConfig {
  return loadConfig({
    env: {
      ...process.env,
      TRIBUTARY_METRICS_PORT: '0',
      TRIBUTARY_SINK_FLUSH_INTERVAL_MS: '200',
      TRIBUTARY_LOG_LEVEL: 'warn',
      ...overrides,
    },
  })
}

export function testContext(config = testConfig()): CliContext {
  return new CliContext(config)
}

export const quietLogger = () => createLogger({ level: 'error' })

export async function count(ch: ClickHouse, table: string, where = '1', final = true): Promise<number> {
  const [row] = await ch.query<{ c: string }>(
    `SELECT count() AS c FROM ${table}${final ? ' FINAL' : ''} WHERE ${where}`,
  )
  return Number(row?.c ?? 0)
}

export async function createTopic(config: TributaryConfig, topic: string, partitions: number): Promise<void> {
  const admin = new Kafka({ brokers: [...config.kafka.brokers], logLevel: logLevel.NOTHING }).admin()
  await admin.connect()
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true })
  } finally {
    await admin.disconnect()
  }
}

/** Reads a whole topic from the beginning (e.g. the DLQ) until `expected` messages arrived. */
export async function readTopic(
  config: TributaryConfig,
  topic: string,
  expected: number,
  timeoutMs = 60_000,
): Promise<{ key: string | null; value: Buffer | null; headers: Record<string, string> }[]> {
  const kafka = new Kafka({ brokers: [...config.kafka.brokers], logLevel: logLevel.NOTHING })
  const consumer = kafka.consumer({ groupId: uniqueName('reader') })
  const out: { key: string | null; value: Buffer | null; headers: Record<string, string> }[] = []
  await consumer.connect()
  await consumer.subscribe({ topics: [topic], fromBeginning: true })
  let resolve!: () => void
  const enough = new Promise<void>((r) => {
    resolve = r
  })
  await consumer.run({
    eachMessage: async ({ message }) => {
      const headers: Record<string, string> = {}
      for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v)
      out.push({ key: message.key?.toString() ?? null, value: message.value, headers })
      if (out.length >= expected) resolve()
    },
  })
  const timer = setTimeout(resolve, timeoutMs)
  await enough
  clearTimeout(timer)
  await consumer.disconnect()
  return out
}

/**
 * Waits until bronze, silver and quarantine hold `expected` rows (under FINAL), failing at once
 * with the engine's error if `failed` reports one.
 */
export async function waitForLayers(
  ch: ClickHouse,
  t: AnyTopology,
  expected: readonly [bronze: number, silver: number, quarantine: number],
  failed: () => unknown = () => undefined,
): Promise<void> {
  const [b, s, q] = expected
  await waitFor(
    `${b} in bronze, ${s} in silver, ${q} in quarantine`,
    async () => {
      if (failed() !== undefined) throw new Error(`engine failed: ${failed()}`)
      return [
        await count(ch, t.tables.bronze!),
        await count(ch, t.tables.silver!),
        await count(ch, t.tables.quarantine),
      ]
    },
    (got) => got[0] === b && got[1] === s && got[2] === q,
  )
}
