// Real services: Redis 7 (the stack's, or TRIBUTARY_REDIS_URL).
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, test } from 'node:test'
import { Redis } from 'ioredis'
import { endpointsFromEnv } from '../../src/config/endpoints.ts'
import { DedupAdds } from '../../src/state/dedup-adds.ts'
import { MemoryStateStore } from '../../src/state/memory-store.ts'
import { stateKeys } from '../../src/state/redis-keys.ts'
import { checkpointCommands, createRedisStore } from '../../src/state/redis-store.ts'
import type { PartitionChanges, PartitionRef } from '../../src/state/state-store.ts'
import { emptyChanges } from '../../src/state/state-store.ts'
import { contractScenario, fencingScenario, snapshot } from './contract.ts'

const url = endpointsFromEnv().redisUrl
const store = createRedisStore(url)
const admin = new Redis(url)
const topology = `state-test-${randomUUID()}`

after(async () => {
  // Every key this run wrote carries its topology inside the hash tag.
  const keys = await admin.keys(`tributary:{${topology}*`)
  if (keys.length > 0) await admin.del(...keys)
  await store.close()
  await admin.quit()
})

function ref(topic: string, partition = 0): PartitionRef {
  return { topology, topic, partition }
}

function changes(
  c: Partial<Omit<PartitionChanges, 'dedupAdd'>> & { dedupAdd?: [string, number][] },
): PartitionChanges {
  return { ...emptyChanges(), ...c, dedupAdd: DedupAdds.of(c.dedupAdd ?? []) }
}

test('all four parts round-trip, under hash-tagged keys of the documented types', async () => {
  const p = ref('roundtrip', 3)
  await store.commit(
    [
      {
        ref: p,
        offset: '42',
        changes: changes({
          dedupAdd: [['evt-1', 9_000_000_000_000]],
          kvPut: [['window:2026-01-01T10', '{"count":3,"sum":1.5}']],
          meta: { watermark: '{"eventTime":1767261600000}' },
        }),
      },
    ],
    1000,
  )
  assert.deepEqual(snapshot(await store.load(p, 1000)), {
    offset: '42',
    dedup: [['evt-1', 9_000_000_000_000]],
    kv: [['window:2026-01-01T10', '{"count":3,"sum":1.5}']],
    meta: [['watermark', '{"eventTime":1767261600000}']],
  })
  const { owner: _claimedOnly, ...keys } = stateKeys(p)
  assert.deepEqual(
    Object.values(keys).sort(),
    (await admin.keys(`tributary:{${topology}|roundtrip|3}:*`)).sort(),
  )
  for (const key of Object.values(keys)) {
    assert.equal(key.match(/\{[^}]*\}/)?.[0], `{${topology}|roundtrip|3}`, key)
  }
  assert.deepEqual(
    await Promise.all([
      admin.type(keys.offset),
      admin.type(keys.dedup),
      admin.type(keys.kv),
      admin.type(keys.meta),
    ]),
    ['string', 'zset', 'hash', 'hash'],
  )
})

test('a checkpoint is all-or-nothing: one refused command leaves neither its changes nor its offset', async () => {
  // A real refusal: a user without HDEL. The partition whose checkpoint needs HDEL must keep its
  // previous state; the other partition in the same pipeline commits on its own.
  const user = `tributary-test-${randomUUID()}`
  const password = randomUUID()
  await admin.call('ACL', 'SETUSER', user, 'on', `>${password}`, '~*', '+@all', '-hdel')
  const limited = new URL(url)
  limited.username = user
  limited.password = password
  const restricted = createRedisStore(limited.toString())
  try {
    const victim = ref('atomic', 0)
    const bystander = ref('atomic', 1)
    await store.commit([{ ref: victim, offset: '5', changes: changes({ kvPut: [['old', 'v']] }) }], 0)
    const before = snapshot(await store.load(victim, 0))

    const failure = await restricted
      .commit(
        [
          {
            ref: victim,
            offset: '9',
            changes: changes({
              dedupAdd: [['d', 100]],
              kvPut: [['new', 'v']],
              kvDelete: ['old'],
              meta: { m: '1' },
            }),
          },
          { ref: bystander, offset: '7', changes: changes({ kvPut: [['k', 'v']] }) },
        ],
        0,
      )
      .then(
        () => assert.fail('the commit should have been refused'),
        (e: unknown) => e,
      )
    assert.equal((failure as { code?: string }).code, 'STATE_REJECTED')
    assert.equal((failure as { retriable?: boolean }).retriable, false)
    assert.match(String(failure), /atomic\/0.*NOPERM.*hdel \(nothing applied\)/s)

    assert.deepEqual(snapshot(await store.load(victim, 0)), before)
    assert.equal((await store.load(bystander, 0)).offset, '7')
  } finally {
    await restricted.close()
    await admin.call('ACL', 'DELUSER', user)
  }
})

test('Redis has no rollback: a command failing while executing is reported, and the offset is not written', async () => {
  // Why commit validates scores and bounds before sending: errors at execution time apply partially,
  // up to the failing command; the offset comes last, so it never claims changes that did not land.
  const p = ref('wrongtype')
  await admin.set(stateKeys(p).kv, 'not a hash')
  await assert.rejects(
    store.commit(
      [{ ref: p, offset: '3', changes: changes({ dedupAdd: [['d', 100]], kvPut: [['k', 'v']] }) }],
      0,
    ),
    (e: Error & { code?: string }) => e.code === 'STATE_REJECTED' && /WRONGTYPE/.test(e.message),
  )
  assert.equal(await admin.zcard(stateKeys(p).dedup), 1, 'the commands before the failure applied')
  assert.equal(await admin.get(stateKeys(p).offset), null)
})

test("expired dedup keys are not loaded, and a commit's member is removed once all its keys expired", async () => {
  const p = ref('expiry')
  const dedupAdd: [string, number][] = Array.from({ length: 100 }, (_, i) => [`k${i}`, 1000 + i * 10])
  await store.commit([{ ref: p, offset: '1', changes: changes({ dedupAdd }) }], 0)
  assert.equal(await admin.zcard(stateKeys(p).dedup), 1, "a commit's keys are one member")

  // At 1500 keys k0..k50 have expiresAt <= now.
  assert.equal((await store.load(p, 1500)).dedup.size, 49)
  await store.commit([{ ref: p, offset: '2', changes: emptyChanges() }], 1500)
  assert.equal((await store.load(p, 1500)).dedup.size, 49, 'expired keys are dropped per key')
  assert.equal(await admin.zcard(stateKeys(p).dedup), 1, 'a member with a live key stays')
  await store.commit([{ ref: p, offset: '3', changes: emptyChanges() }], 1990)
  assert.equal(await admin.zcard(stateKeys(p).dedup), 0)
})

test("re-applying a commit leaves the same members, and a re-added key takes the latest commit's expiry", async () => {
  const p = ref('reapply')
  const first = {
    ref: p,
    offset: '9',
    changes: changes({
      dedupAdd: [
        ['x', 5000],
        ['y', 5000],
      ] as [string, number][],
    }),
  }
  await store.commit([first], 0)
  const members = await admin.zrange(stateKeys(p).dedup, '0', '-1', 'WITHSCORES')
  await store.commit([first], 0)
  assert.deepEqual(await admin.zrange(stateKeys(p).dedup, '0', '-1', 'WITHSCORES'), members)

  // Offset 10 is after 9 though it sorts before it as text.
  await store.commit([{ ref: p, offset: '10', changes: changes({ dedupAdd: [['x', 4000]] }) }], 0)
  assert.deepEqual(snapshot(await store.load(p, 0)).dedup, [
    ['x', 4000],
    ['y', 5000],
  ])
})

test('keys with tab, newline, backslash and NUL round-trip through Redis', async () => {
  const p = ref('escapes')
  const dedupAdd: [string, number][] = [
    ['a\tb', 5000],
    ['a\nb', 5001],
    ['a\\b\\n', 5002],
    ['a\u0000b', 5003],
    ['\u0000d1 1 0\n', 5004],
  ]
  await store.commit([{ ref: p, offset: '1', changes: changes({ dedupAdd }) }], 0)
  assert.deepEqual([...(await store.load(p, 0)).dedup], dedupAdd)
})

test('dedup keys stored one per member (before packing) still load, older than packed ones', async () => {
  // A user upgrading with state in Redis: the previous layout was ZADD <expiresAt> <key> per key.
  const p = ref('upgrade')
  await admin.zadd(stateKeys(p).dedup, 3000, 'old-a', 4000, 'old-b', 500, 'old-expired')
  await store.commit(
    [
      {
        ref: p,
        offset: '5',
        changes: changes({
          dedupAdd: [
            ['old-b', 3500],
            ['new', 6000],
          ],
        }),
      },
    ],
    1000,
  )
  assert.deepEqual(
    [...(await store.load(p, 1000)).dedup],
    [
      ['old-a', 3000],
      ['old-b', 3500],
      ['new', 6000],
    ],
  )
  assert.deepEqual(
    [...(await store.load(p, 1000, { dedupLimit: 2 })).dedup],
    [
      ['old-b', 3500],
      ['new', 6000],
    ],
  )
})

test('a commit of many partitions is one round trip, written to the socket once', async () => {
  const batch = Array.from({ length: 50 }, (_, i) => ({
    ref: ref('many', i),
    offset: String(100 + i),
    changes: changes({
      dedupAdd: Array.from({ length: 30 }, (_, j): [string, number] => [`e${j}`, 10_000]),
      kvPut: [[`w${i}`, 'x']],
      meta: { watermark: String(i) },
    }),
  }))
  const socket = (store.client as Redis).stream
  const write = socket.write
  let writes = 0
  socket.write = function (this: typeof socket, ...args: Parameters<typeof write>) {
    writes += 1
    return write.apply(this, args)
  } as typeof write
  const before = store.roundTrips
  try {
    await store.commit(batch, 0)
  } finally {
    socket.write = write
  }
  assert.equal(store.roundTrips - before, 1)
  assert.equal(writes, 1)
  for (const c of batch) assert.equal((await store.load(c.ref, 0)).offset, c.offset)
  const loadsBefore = store.roundTrips
  await store.load(ref('many', 0), 0)
  assert.equal(store.roundTrips - loadsBefore, 1, 'a load reads all four parts in one pipeline')
})

test('large changes are chunked into several commands inside the one transaction', async () => {
  const p = ref('large')
  const big = {
    ref: p,
    offset: '1',
    changes: changes({
      dedupAdd: Array.from({ length: 2500 }, (_, i): [string, number] => [`e${i}`, 10_000 + i]),
      kvPut: Array.from({ length: 2500 }, (_, i): [string, string] => [`w${i}`, String(i)]),
    }),
  }
  const commands = checkpointCommands(big, 0)
  const zadds = commands.filter((c) => c[0] === 'zadd')
  assert.equal(zadds.length, 1)
  assert.equal(zadds[0]!.length, 4, 'the dedup keys are one member: zadd key score member')
  assert.equal(commands.filter((c) => c[0] === 'hset').length, 3)
  assert.equal(commands.at(-1)?.[0], 'set', 'the offset is written last')
  const before = store.roundTrips
  await store.commit([big], 0)
  assert.equal(store.roundTrips - before, 1)
  const s = await store.load(p, 0)
  assert.equal(s.dedup.size, 2500)
  assert.equal(s.kv.size, 2500)
  assert.equal(s.dedup.get('e2499'), 12_499)
})

test('the Redis and memory stores give identical results for the same sequence', async () => {
  const redisSeen = await contractScenario(store, `${topology}-contract`)
  const memorySeen = await contractScenario(new MemoryStateStore(), `${topology}-contract`)
  assert.deepEqual(redisSeen, memorySeen)
})

test('a claim fences every earlier holder of the partition, checked in the same script as the write', async () => {
  await fencingScenario(store, `${topology}-fencing`)
})

test('one partition checkpointing 200k dedup keys at once (a catch-up epoch) commits and loads them', async () => {
  // Found by the 1M catch-up (scripts/catch-up): the script's arguments were spread into one call,
  // which overflows the stack past ~120k arguments, so the first epoch of a backlog never landed.
  const p = ref('big-epoch', 0)
  const dedupAdd: [string, number][] = Array.from({ length: 200_000 }, (_, i) => [`ord-${i}`, 10_000 + i])
  await store.commit([{ ref: p, offset: '200000', changes: changes({ dedupAdd }) }], 1_000)
  const loaded = await store.load(p, 1_000, { dedupLimit: 3 })
  assert.equal(loaded.offset, '200000')
  assert.deepEqual(
    [...loaded.dedup],
    [
      ['ord-199997', 209_997],
      ['ord-199998', 209_998],
      ['ord-199999', 209_999],
    ],
  )
  const members = await admin.zrange(stateKeys(p).dedup, '0', '-1')
  assert.ok(members.length > 1 && members.length < 20, `${members.length} members of at most 1 MiB`)
  for (const m of members) assert.ok(Buffer.byteLength(m) <= 1024 * 1024 + 64)
})
