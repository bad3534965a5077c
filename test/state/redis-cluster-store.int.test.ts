// Real services: the stack's 3-master Redis Cluster (cluster mode). The state store on a Redis
// Cluster keeps the same contract as on one Redis, fencing included: a partition's keys share a
// hash tag, so each partition's checkpoint script runs atomically on the node owning its slot.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, test } from 'node:test'
import { clusterEndpointsFromEnv } from '../../src/config/endpoints.ts'
import { MemoryStateStore } from '../../src/state/memory-store.ts'
import { createRedisStore, type RedisStateStore } from '../../src/state/redis-store.ts'
import { clusterModeSkip } from '../support/stack.ts'
import { contractScenario, fencingScenario } from './contract.ts'

let store: RedisStateStore | undefined
after(() => store?.close())

test('on a Redis Cluster the store keeps the contract and fences a stale holder, partitions spread over the masters', {
  skip: clusterModeSkip,
}, async () => {
  store = createRedisStore(undefined, { cluster: clusterEndpointsFromEnv().redisClusterNodes })
  const topology = `cluster-state-${randomUUID()}`
  assert.deepEqual(
    await contractScenario(store, topology),
    await contractScenario(new MemoryStateStore(), topology),
  )
  await fencingScenario(store, `${topology}-fencing`)
})
