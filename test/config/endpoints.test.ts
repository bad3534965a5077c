import assert from 'node:assert/strict'
import { test } from 'node:test'
import { clusterEndpointsFromEnv, endpointsFromEnv } from '../../src/config/endpoints.ts'

test('one offset shifts every port', () => {
  const e = endpointsFromEnv({ TRIBUTARY_PORT_OFFSET: '1000' })
  assert.deepEqual(e.kafkaBrokers, ['127.0.0.1:10092'])
  assert.equal(e.redisUrl, 'redis://127.0.0.1:7379')
  assert.equal(e.clickhouseUrl, 'http://127.0.0.1:9123')
  assert.equal(e.prometheusUrl, 'http://127.0.0.1:10090')
  assert.equal(e.metricsPort, 10464)
})

test('a bad offset names the variable and the fix', () => {
  assert.throws(
    () => endpointsFromEnv({ TRIBUTARY_PORT_OFFSET: 'abc' }),
    /TRIBUTARY_PORT_OFFSET=abc.*unset it/,
  )
})

test('the cluster mode: 2 shards x 2 replicas and 3 Redis masters on the offset', () => {
  const e = clusterEndpointsFromEnv({ TRIBUTARY_PORT_OFFSET: '1000' })
  assert.deepEqual(e.clickhouseShards, [
    ['http://127.0.0.1:9124', 'http://127.0.0.1:9125'],
    ['http://127.0.0.1:9126', 'http://127.0.0.1:9127'],
  ])
  assert.deepEqual(e.redisClusterNodes, ['127.0.0.1:7380', '127.0.0.1:7381', '127.0.0.1:7382'])
})

test('cluster URLs from the env file are grouped shard by shard; a ragged list names the fix', () => {
  const e = clusterEndpointsFromEnv({
    TRIBUTARY_CLICKHOUSE_CLUSTER_URLS: 'http://a:1,http://b:2,http://c:3,http://d:4',
    TRIBUTARY_REDIS_CLUSTER_NODES: 'r:1, r:2',
  })
  assert.deepEqual(e.clickhouseShards, [
    ['http://a:1', 'http://b:2'],
    ['http://c:3', 'http://d:4'],
  ])
  assert.deepEqual(e.redisClusterNodes, ['r:1', 'r:2'])
  assert.throws(
    () => clusterEndpointsFromEnv({ TRIBUTARY_CLICKHOUSE_CLUSTER_URLS: 'http://a:1,http://b:2,http://c:3' }),
    /has 3 URLs.*shard by shard, replica by replica/,
  )
})
