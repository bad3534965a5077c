import { Consumer, type Message, MessagesStreamFallbackModes, MessagesStreamModes } from '@platformatic/kafka'
import { JsonTableWriter } from './json-table-writer.ts'
import { type BaselineParams, FETCH, type Worker } from './life.ts'

/** Rows per insert; the stream hands over single messages, so the worker batches them itself. */
const BATCH_ROWS = 10_000
/** A partial batch is inserted after this long, so the tail of the topic is not left waiting. */
const LINGER_MS = 200

/**
 * The same hand-written baseline on @platformatic/kafka: a message stream batched into inserts,
 * each followed by a commit of the highest offset per partition it covered.
 */
export const platformaticBaseline: Worker<BaselineParams> = async (p, life) => {
  const writer = new JsonTableWriter(p.clickhouseUrl, p.table)
  const consumer = new Consumer({
    clientId: 'bench-platformatic',
    groupId: p.groupId,
    bootstrapBrokers: [...p.brokers],
    autocommit: false,
    maxBytes: FETCH.maxBytes,
    maxBytesPerPartition: FETCH.maxBytesPerPartition,
    maxWaitTime: FETCH.maxWaitMs,
  })
  life.ready()
  const stream = await consumer.consume({
    topics: [p.topic],
    mode: MessagesStreamModes.COMMITTED,
    fallbackMode: MessagesStreamFallbackModes.EARLIEST,
  })
  let buffer: Message[] = []
  let flushing: Promise<void> | null = null
  const write = async (batch: Message[]): Promise<void> => {
    await writer.insert(batch.map((m) => JsonTableWriter.row(m.value, m.partition, Number(m.offset))))
    const last = new Map<number, Message>()
    for (const m of batch) last.set(m.partition, m)
    await consumer.commit({
      offsets: [...last.values()].map((m) => ({
        topic: m.topic,
        partition: m.partition,
        offset: m.offset + 1n,
        leaderEpoch: m.leaderEpoch,
      })),
    })
  }
  // A failed insert rejects `void flush()` unhandled, which ends the worker: the benchmark then
  // reports it rather than waiting for a commit that will not come.
  const flush = async (): Promise<void> => {
    if (flushing !== null || buffer.length === 0) return
    const batch = buffer
    buffer = []
    stream.pause()
    flushing = write(batch)
    await flushing
    flushing = null
    stream.resume()
  }
  stream.on('data', (m: Message) => {
    buffer.push(m)
    if (buffer.length >= BATCH_ROWS) void flush()
  })
  const timer = setInterval(() => void flush(), LINGER_MS)
  await life.stopped
  clearInterval(timer)
  await flushing
  await stream.close()
  await consumer.close()
  await writer.close()
  return {}
}
