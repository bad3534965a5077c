// Real services: the stack's 3-master Redis Cluster (cluster mode, redis-c1..3), through ioredis'
// Cluster client, as the state store uses it: every key of a partition shares one hash tag.
import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { Cluster } from 'ioredis'
import { clusterEndpointsFromEnv } from '../../src/config/endpoints.ts'
import { clusterModeSkip, uniqueName } from '../support/stack.ts'

let cluster: Cluster | undefined
after(() => cluster?.disconnect())

test('Redis Cluster: one hash tag is atomic (MULTI/EXEC, EVAL); keys of different tags fail with CROSSSLOT', {
  skip: clusterModeSkip,
}, async (t) => {
  const nodes = clusterEndpointsFromEnv().redisClusterNodes.map((n) => {
    const [host, port] = n.split(':')
    return { host: host!, port: Number(port) }
  })
  // No retry of the first connection: a cluster that is not up fails the test at once.
  cluster = new Cluster(nodes, {
    redisOptions: { maxRetriesPerRequest: 2 },
    clusterRetryStrategy: () => null,
  })
  const c = cluster

  const ranges = await c.cluster('SLOTS')
  const masters = new Set(ranges.map(([, , master]) => `${master?.[0]}:${master?.[1]}`))
  assert.equal(masters.size, 3, `three masters serve the slots: ${[...masters]}`)
  assert.equal(
    ranges.reduce((n, [from, to]) => n + to - from + 1, 0),
    16384,
    'every slot is served',
  )
  const owner = (slot: number) => {
    const master = ranges.find(([from, to]) => slot >= from && slot <= to)?.[2]
    return `${master?.[0]}:${master?.[1]}`
  }

  // Tags whose slots lie on one master and on another, so CROSSSLOT comes from the server.
  const base = uniqueName('rc')
  const tagged = async (i: number) => {
    const tag = `${base}_${i}`
    return { tag, slot: Number(await c.cluster('KEYSLOT', `{${tag}}`)) }
  }
  const a = await tagged(0)
  let sameMaster: { tag: string; slot: number } | undefined
  let otherMaster: { tag: string; slot: number } | undefined
  for (let i = 1; !(sameMaster && otherMaster); i++) {
    const t = await tagged(i)
    if (owner(t.slot) === owner(a.slot)) {
      if (t.slot !== a.slot) sameMaster ??= t
    } else otherMaster ??= t
  }
  const key = (tag: string, name: string) => `{${tag}}:${name}`
  const keys = [
    key(a.tag, 'state'),
    key(a.tag, 'offsets'),
    key(sameMaster.tag, 'state'),
    key(otherMaster.tag, 'state'),
  ]
  t.after(() => Promise.all(keys.map((k) => c.del(k))))

  assert.deepEqual(
    await c.multi().set(key(a.tag, 'state'), 's1').hset(key(a.tag, 'offsets'), '0', '41').exec(),
    [
      [null, 'OK'],
      [null, 1],
    ],
  )
  const script = `if redis.call('hget', KEYS[2], '0') == ARGV[1] then
      redis.call('set', KEYS[1], ARGV[2]); redis.call('hset', KEYS[2], '0', ARGV[3]); return 1
    end
    return 0`
  assert.equal(await c.eval(script, 2, key(a.tag, 'state'), key(a.tag, 'offsets'), '41', 's2', '42'), 1)
  assert.equal(await c.eval(script, 2, key(a.tag, 'state'), key(a.tag, 'offsets'), '41', 's3', '43'), 0)
  assert.equal(await c.get(key(a.tag, 'state')), 's2')
  assert.equal(await c.hget(key(a.tag, 'offsets'), '0'), '42')

  const crossSlot = /CROSSSLOT/
  await assert.rejects(
    c.multi().set(key(a.tag, 'state'), 'x').set(key(sameMaster.tag, 'state'), 'x').exec(),
    crossSlot,
  )
  await assert.rejects(
    c.eval(script, 2, key(a.tag, 'state'), key(otherMaster.tag, 'state'), '42', 'x', 'x'),
    crossSlot,
  )
  await assert.rejects(c.mset(key(a.tag, 'state'), 'x', key(otherMaster.tag, 'state'), 'x'), crossSlot)
  // ioredis refuses a transaction spanning masters before sending it.
  await assert.rejects(
    c.multi().set(key(a.tag, 'state'), 'x').set(key(otherMaster.tag, 'state'), 'x').exec(),
    /same slots allocation group/,
  )
  assert.equal(await c.get(key(a.tag, 'state')), 's2', 'no refused command wrote')
  assert.equal(await c.get(key(sameMaster.tag, 'state')), null)
  assert.equal(await c.get(key(otherMaster.tag, 'state')), null)
})
