import type { Message, Producer } from 'kafkajs'

const MAX_REQUEST_BYTES = 256 * 1024
const MAX_REQUEST_MESSAGES = 2000

function sizeOf(m: Message): number {
  const v = m.value as Buffer | string | null
  return (v?.length ?? 0) + ((m.key as Buffer | string | null)?.length ?? 0)
}

/**
 * Messages in requests that stay well under the broker's default 1 MB `message.max.bytes`: kafkajs
 * would otherwise put a whole array into one record batch and have the broker reject all of it.
 */
export function* chunked(messages: readonly Message[]): Generator<Message[]> {
  let chunk: Message[] = []
  let bytes = 0
  for (const m of messages) {
    const size = sizeOf(m)
    if (chunk.length > 0 && (bytes + size > MAX_REQUEST_BYTES || chunk.length >= MAX_REQUEST_MESSAGES)) {
      yield chunk
      chunk = []
      bytes = 0
    }
    chunk.push(m)
    bytes += size
  }
  if (chunk.length > 0) yield chunk
}

/** Sends in chunks (see `chunked`), each through `send` (e.g. with retries). */
export async function sendChunked(
  producer: Producer,
  topic: string,
  messages: readonly Message[],
  send: (fn: () => Promise<unknown>) => Promise<unknown> = (fn) => fn(),
): Promise<void> {
  for (const batch of chunked(messages)) await send(() => producer.send({ topic, messages: batch, acks: -1 }))
}
