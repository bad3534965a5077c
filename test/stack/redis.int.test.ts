// Real services: Redis (TRIBUTARY_REDIS_URL, default the local stack's redis-server with AOF on).
import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { Redis } from 'ioredis'
import { stackEndpoints, uniqueName } from '../support/stack.ts'

const clients: Redis[] = []
after(() => {
  for (const c of clients) c.disconnect()
})

async function client(): Promise<Redis> {
  const { redisUrl } = await stackEndpoints('redis')
  const c = new Redis(redisUrl, { maxRetriesPerRequest: 2, lazyConnect: true })
  clients.push(c)
  await c.connect()
  return c
}

test('SET/GET round trip with expiry', async () => {
  const redis = await client()
  const key = uniqueName('smoke:kv')
  assert.equal(await redis.set(key, 'v1', 'EX', 60), 'OK')
  assert.equal(await redis.get(key), 'v1')
  const ttl = await redis.ttl(key)
  assert.ok(ttl > 0 && ttl <= 60, `ttl ${ttl}`)
  assert.equal(await redis.get(`${key}:absent`), null)
  await redis.del(key)
})

test('MULTI/EXEC applies all commands atomically and WATCH aborts on a concurrent write', async () => {
  const redis = await client()
  const other = await client()
  const key = uniqueName('smoke:tx')

  const results = await redis.multi().set(key, '1').incrby(key, 41).hset(`${key}:h`, 'f', 'x').exec()
  assert.deepEqual(results, [
    [null, 'OK'],
    [null, 42],
    [null, 1],
  ])
  assert.equal(await redis.get(key), '42')

  await redis.watch(key)
  await other.set(key, 'changed')
  const aborted = await redis.multi().set(key, 'mine').exec()
  assert.equal(aborted, null, 'EXEC after a watched key changed returns null')
  assert.equal(await redis.get(key), 'changed')

  // The stack runs Redis with the append-only file on.
  const [, appendonly] = (await redis.config('GET', 'appendonly')) as string[]
  assert.equal(appendonly, 'yes')
  await redis.del(key, `${key}:h`)
})
