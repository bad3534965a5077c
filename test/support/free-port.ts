import assert from 'node:assert/strict'
import { once } from 'node:events'
import { createServer } from 'node:net'

/** A loopback port nothing listens on (it was free a moment ago): for private servers, or as a dead end. */
export async function freePort(): Promise<number> {
  const s = createServer()
  s.listen(0, '127.0.0.1')
  await once(s, 'listening')
  const address = s.address()
  s.close()
  await once(s, 'close')
  return typeof address === 'object' && address !== null ? address.port : assert.fail('no port')
}
