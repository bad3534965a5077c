import assert from 'node:assert/strict'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { test } from 'node:test'
import { envName, loadConfig, maskSecrets } from '../../src/config/config.ts'

const dir = mkdtempSync(path.join(tmpdir(), 'tributary-config-'))
writeFileSync(path.join(dir, 'dev.json'), JSON.stringify({ sink: { maxBatchRows: 5000 } }))
writeFileSync(path.join(dir, 'leaky.json'), JSON.stringify({ clickhouse: { password: 'hunter2' } }))
writeFileSync(path.join(dir, 'typo.json'), JSON.stringify({ sink: { maxBatchRow: 5 } }))

test('defaults, then the environment file, then env variables', () => {
  const cfg = loadConfig({
    dir,
    env: { TRIBUTARY_PORT_OFFSET: '1000', TRIBUTARY_SINK_FLUSH_INTERVAL_MS: '250' },
  })
  assert.equal(cfg.sink.maxBatchRows, 5000)
  assert.equal(cfg.sink.flushIntervalMs, 250)
  assert.deepEqual(cfg.kafka.brokers, ['127.0.0.1:10092'])
  assert.equal(envName('sink.maxBatchRows'), 'TRIBUTARY_SINK_MAX_BATCH_ROWS')
  assert.equal(cfg.sink.minFlushIntervalMs, 200)
})

test('a bad value names the field, the value and the fix', () => {
  assert.throws(() => loadConfig({ dir, env: { TRIBUTARY_SINK_MAX_BATCH_ROWS: 'lots' } }), {
    message:
      /configuration sink.maxBatchRows: "lots" \(from TRIBUTARY_SINK_MAX_BATCH_ROWS\) is not valid. Fix: a whole number/,
  })
  assert.throws(
    () => loadConfig({ dir, env: { TRIBUTARY_CLICKHOUSE_URL: 'ftp://x' } }),
    /clickhouse.url.*Fix: http/,
  )
  assert.throws(
    () => loadConfig({ dir, environment: 'typo', env: {} }),
    /sink.maxBatchRow: is not a known setting/,
  )
  assert.throws(() => loadConfig({ dir, environment: 'nope', env: {} }), /no file .*nope.json/)
  assert.throws(
    () => loadConfig({ dir, env: { TRIBUTARY_SINK_MIN_FLUSH_INTERVAL_MS: '-5' } }),
    /sink.minFlushIntervalMs: -5 .*Fix: milliseconds between 0 and 600000/,
  )
})

test('secrets come only from the environment and are masked when printed', () => {
  assert.throws(
    () => loadConfig({ dir, environment: 'leaky', env: {} }),
    /secrets never live in files.*TRIBUTARY_CLICKHOUSE_PASSWORD/,
  )
  const cfg = loadConfig({ dir, env: { TRIBUTARY_CLICKHOUSE_PASSWORD: 'hunter2' } })
  assert.equal(cfg.clickhouse.password, 'hunter2')
  assert.doesNotMatch(JSON.stringify(maskSecrets(cfg)), /hunter2/)
})

test('credentials in a URL from a file are refused naming the field and the fix; a Redis password comes from its own variable', () => {
  writeFileSync(
    path.join(dir, 'url-secrets.json'),
    JSON.stringify({ clickhouse: { url: 'http://user:secret@127.0.0.1:8123' } }),
  )
  writeFileSync(
    path.join(dir, 'redis-secret.json'),
    JSON.stringify({ redis: { url: 'redis://:secret@h:6379' } }),
  )
  assert.throws(
    () => loadConfig({ dir, environment: 'url-secrets', env: {} }),
    /configuration clickhouse.url: carries credentials.*secrets never live in files.*TRIBUTARY_CLICKHOUSE_PASSWORD/,
  )
  assert.throws(
    () => loadConfig({ dir, environment: 'redis-secret', env: {} }),
    /configuration redis.url: carries credentials.*TRIBUTARY_REDIS_PASSWORD/,
  )
  const cfg = loadConfig({
    dir,
    env: {
      TRIBUTARY_REDIS_PASSWORD: 'redis-pw',
      TRIBUTARY_CLICKHOUSE_URL: 'http://user:ch-pw@127.0.0.1:8123',
      TRIBUTARY_REGISTRY_URL: 'http://u:reg-pw@127.0.0.1:8081/apis/ccompat/v7',
    },
  })
  assert.equal(cfg.redis.password, 'redis-pw')
  const printed = JSON.stringify(maskSecrets(cfg))
  assert.doesNotMatch(printed, /redis-pw|ch-pw|reg-pw/)
  assert.match(printed, /http:\/\/\*\*\*@127\.0\.0\.1:8123/)
})

test('a ClickHouse cluster: a name and its shards, both or neither, each named when wrong', () => {
  const env = {
    TRIBUTARY_CLICKHOUSE_CLUSTER: 'tributary_cluster',
    TRIBUTARY_CLICKHOUSE_SHARDS: 'http://a:8123, http://b:8123;http://c:8123,http://d:8123',
  }
  const cfg = loadConfig({ dir, env })
  assert.equal(cfg.clickhouse.cluster, 'tributary_cluster')
  assert.deepEqual(cfg.clickhouse.shards, [
    ['http://a:8123', 'http://b:8123'],
    ['http://c:8123', 'http://d:8123'],
  ])
  const plain = loadConfig({ dir, env: {} })
  assert.equal(plain.clickhouse.cluster, undefined)
  assert.equal(plain.clickhouse.shards, undefined)
  assert.throws(
    () => loadConfig({ dir, env: { TRIBUTARY_CLICKHOUSE_CLUSTER: 'c' } }),
    /configuration clickhouse.shards: is required with clickhouse.cluster. Fix: set TRIBUTARY_CLICKHOUSE_SHARDS/,
  )
  assert.throws(
    () => loadConfig({ dir, env: { TRIBUTARY_CLICKHOUSE_SHARDS: 'http://a:8123' } }),
    /configuration clickhouse.cluster: is required with clickhouse.shards. Fix: set TRIBUTARY_CLICKHOUSE_CLUSTER/,
  )
  assert.throws(
    () => loadConfig({ dir, env: { ...env, TRIBUTARY_CLICKHOUSE_SHARDS: 'http://a:8123;;http://c:8123' } }),
    /configuration clickhouse.shards: .* is not valid. Fix: the cluster's replica URLs, shards separated by ';'/,
  )
  assert.throws(
    () => loadConfig({ dir, env: { ...env, TRIBUTARY_CLICKHOUSE_SHARDS: 'a:8123' } }),
    /clickhouse.shards/,
  )
  assert.throws(
    () => loadConfig({ dir, env: { ...env, TRIBUTARY_CLICKHOUSE_CLUSTER: 'my-cluster' } }),
    /configuration clickhouse.cluster: "my-cluster" is not valid/,
  )
})

test('dedup.maxKeysInMemory: a default bound, set from TRIBUTARY_DEDUP_MAX_KEYS_IN_MEMORY, refused out of range naming the field', () => {
  assert.equal(loadConfig({ dir, env: {} }).dedup.maxKeysInMemory, 1_000_000)
  assert.equal(
    loadConfig({ dir, env: { TRIBUTARY_DEDUP_MAX_KEYS_IN_MEMORY: '50000' } }).dedup.maxKeysInMemory,
    50_000,
  )
  for (const bad of ['100', '2.5', 'many'])
    assert.throws(() => loadConfig({ dir, env: { TRIBUTARY_DEDUP_MAX_KEYS_IN_MEMORY: bad } }), {
      message: /configuration dedup.maxKeysInMemory: .*Fix: a whole number between 10000/,
    })
})

test('source.fetchMaxBytes: 8 MiB by default, refused out of range naming the field', () => {
  assert.equal(loadConfig({ dir, env: {} }).source.fetchMaxBytes, 8 * 1024 * 1024)
  assert.throws(() => loadConfig({ dir, env: { TRIBUTARY_SOURCE_FETCH_MAX_BYTES: '1000' } }), {
    message: /configuration source.fetchMaxBytes: .*Fix: bytes between 65536/,
  })
})
