import assert from 'node:assert/strict'
import net from 'node:net'
import { test } from 'node:test'
import { type ISocketFactory, Kafka, logLevel } from 'kafkajs'
import { sendAll } from '../../src/cli/commands/produce.ts'
import { createTopic, testContext, uniqueName } from '../support/engine.ts'
import { stackEndpoints } from '../support/stack.ts'

const PRODUCE_API_KEY = 0

/**
 * Sockets that lose the response to the first Produce request: the broker has appended the batch,
 * the client sees the connection close and sends the request again, as after a leader change or a
 * network blip on a busy machine.
 */
function losingFirstProduceResponse(): { socketFactory: ISocketFactory; lost: () => number } {
  let armed = true
  let lost = 0
  const socketFactory: ISocketFactory = ({ host, port, onConnect }) => {
    const socket = net.connect({ host, port }, onConnect)
    let awaitingProduceResponse = false
    const write = socket.write.bind(socket) as (...args: unknown[]) => boolean
    socket.write = ((chunk: unknown, ...rest: unknown[]) => {
      // A request starts with its size (int32), then its API key (int16).
      if (armed && Buffer.isBuffer(chunk) && chunk.length >= 6 && chunk.readInt16BE(4) === PRODUCE_API_KEY) {
        armed = false
        awaitingProduceResponse = true
      }
      return write(chunk, ...rest)
    }) as typeof socket.write
    const emit = socket.emit.bind(socket) as (event: string | symbol, ...args: unknown[]) => boolean
    socket.emit = ((event: string | symbol, ...args: unknown[]) => {
      if (event === 'data' && awaitingProduceResponse) {
        awaitingProduceResponse = false
        lost++
        socket.destroy()
        emit('end') // as when the broker closes the connection
        return true
      }
      return emit(event, ...args)
    }) as typeof socket.emit
    return socket
  }
  return { socketFactory, lost: () => lost }
}

test('produce sends a retried request once: a lost response does not duplicate records', async () => {
  const { kafkaBrokers } = await stackEndpoints('kafka', 'registry')
  const ctx = testContext()
  const topic = uniqueName('produce-retry')
  await createTopic(ctx.config, topic, 1)
  const faulty = losingFirstProduceResponse()
  const kafka = new Kafka({
    brokers: [...kafkaBrokers],
    socketFactory: faulty.socketFactory,
    logLevel: logLevel.NOTHING,
    retry: { initialRetryTime: 100 },
  })
  const messages = Array.from({ length: 500 }, (_, i) => ({ key: `k-${i}`, value: `v-${i}` }))

  await sendAll(ctx, topic, messages, kafka)

  assert.equal(faulty.lost(), 1, 'the first produce response was lost, so the request was retried')
  const admin = kafka.admin()
  await admin.connect()
  try {
    const [partition] = await admin.fetchTopicOffsets(topic)
    assert.equal(Number(partition?.high), messages.length, 'Kafka holds each record once')
  } finally {
    await admin.disconnect()
  }
})
