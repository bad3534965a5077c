import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Redis } from 'ioredis'
import { stateError } from '../../src/state/redis-error.ts'
import { RedisStateStore } from '../../src/state/redis-store.ts'
import { emptyChanges } from '../../src/state/state-store.ts'

function reply(message: string): Error {
  const e = new Error(message)
  e.name = 'ReplyError'
  return e
}

test('network failures and transient replies are retriable; refusals are not', () => {
  for (const e of [
    new Error('connect ECONNREFUSED 127.0.0.1:1'),
    reply('LOADING Redis is loading'),
    reply('OOM command not allowed'),
  ]) {
    assert.deepEqual(
      [stateError(e, 'x').code, stateError(e, 'x').retriable],
      ['STATE_UNAVAILABLE', true],
      e.message,
    )
  }
  const refused = stateError(reply('EXECABORT Transaction discarded'), 'commit', [reply('NOPERM no hdel')])
  assert.deepEqual([refused.code, refused.retriable], ['STATE_REJECTED', false])
  assert.match(refused.message, /NOPERM/)
  const transientCause = stateError(reply('EXECABORT Transaction discarded'), 'commit', [
    reply('READONLY replica'),
  ])
  assert.equal(transientCause.retriable, true)
})

test('a commit that cannot reach Redis rejects with a retriable STATE_UNAVAILABLE', async () => {
  // Offline queue off and no reconnects: the failure surfaces at once instead of waiting.
  const client = new Redis({
    port: 1,
    lazyConnect: true,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  })
  const store = new RedisStateStore(client)
  const ref = { topology: 't', topic: 'x', partition: 0 }
  await assert.rejects(store.commit([{ ref, offset: '1', changes: emptyChanges() }], 0), {
    code: 'STATE_UNAVAILABLE',
    retriable: true,
  })
  await assert.rejects(store.load(ref, 0), { code: 'STATE_UNAVAILABLE', retriable: true })
  assert.equal(store.roundTrips, 2)
  await store.close()
})
