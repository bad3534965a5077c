// Real services: Kafka, Schema Registry (Apicurio), Redis, and the stack's ClickHouse 18.16 cluster
// tributary_cluster (2 shards x 2 replicas, ZooKeeper). The first test runs the engine in process;
// the chaos runs it as separate OS processes and SIGKILLs one ClickHouse replica mid-run.
import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import {
  clusterEnv,
  holdCluster,
  runClusterChaos,
  StackService,
  syncReplica,
} from '../../scripts/chaos/cluster.ts'
import { prepareChaos, verifyChaos } from '../../scripts/chaos/harness.ts'
import { produceGenerated } from '../../src/cli/commands/produce.ts'
import { createClusterClickHouse } from '../../src/clickhouse/cluster.ts'
import { clusterEndpointsFromEnv } from '../../src/config/endpoints.ts'
import { Engine } from '../../src/runtime/engine.ts'
import { ensureTable } from '../../src/sinks/clickhouse/ensure-table.ts'
import { waitFor } from '../../src/testing/wait.ts'
import orders from '../../topologies/orders.ts'
import { sql } from '../support/clickhouse-http.ts'
import { count, createTopic, isolated, quietLogger, testConfig, testContext } from '../support/engine.ts'
import { clusterModeSkip, uniqueName } from '../support/stack.ts'

const env = clusterModeSkip ? {} : clusterEnv()
const config = testConfig(env)
const ctx = testContext(config)
const servers = clusterModeSkip ? [] : clusterEndpointsFromEnv().clickhouseShards
after(() => ctx.close())

/** The input partitions whose rows a server's local table holds. */
async function partitionsOn(url: string, table: string): Promise<number[]> {
  const text = await sql(url, `SELECT DISTINCT _partition FROM ${table}_local ORDER BY _partition FORMAT TSV`)
  return text.trim().split('\n').filter(Boolean).map(Number)
}

test('on the cluster, plain count() through the Distributed tables equals what was produced, each shard holding its partitions', {
  skip: clusterModeSkip,
}, async (tc) => {
  tc.after(await holdCluster())
  const t = isolated(orders)
  const topic = t.definition.source.topics[0]!
  await createTopic(config, topic, 4)
  const summary = await produceGenerated(ctx, t, topic, 2000, 0.05, { duplicateRatio: 0.02 })
  const engine = new Engine({ config, topologies: [t], logger: quietLogger() })
  await engine.start()
  const ch = await ctx.clickhouse()
  try {
    await waitFor(
      'bronze to hold every record, and silver + quarantine every one but the duplicates',
      async () => [
        await count(ch, t.tables.bronze!, '1', false),
        await count(ch, t.tables.silver!, '1', false),
        await count(ch, t.tables.quarantine, '1', false),
      ],
      ([b, s, q]) => b === summary.produced && s! + q! + summary.duplicates === summary.produced,
      { timeoutMs: 120_000 },
    )
  } finally {
    await engine.stop()
  }
  // Every replica has fetched every block, so any read sees all of them.
  for (const url of servers.flat()) await syncReplica(ch, t, url)
  assert.equal(await count(ch, t.tables.silver!, '1', false), summary.valid)
  // Shard s holds partitions p with p mod 2 = s, on both of its replicas.
  for (const [shard, replicas] of servers.entries()) {
    for (const url of replicas)
      assert.deepEqual(await partitionsOn(url, t.tables.bronze!), [shard, shard + 2], `${url}`)
  }
  // Users query by the topology's names, on any server: the tables and gold views are on all.
  const [windows] = t.tables.gold
  const gold = await ch.query<{ c: string }>(`SELECT count() AS c FROM ${windows}`)
  for (const url of servers.flat()) {
    assert.equal(Number(await sql(url, `SELECT count() FROM ${t.tables.bronze}`)), summary.produced, url)
    assert.equal(
      Number(await sql(url, `SELECT count() FROM ${windows}`)),
      Number(gold[0]?.c),
      `${windows} on ${url}`,
    )
  }
})

test('a new column reaches the local and the Distributed table on every server', {
  skip: clusterModeSkip,
}, async (tc) => {
  tc.after(await holdCluster())
  const ch = await ctx.clickhouse()
  const name = uniqueName('evolve')
  const cluster = config.clickhouse.cluster!
  const v1 = {
    name,
    columns: [
      { name: '_partition', type: 'Int32' },
      { name: 'a', type: 'String' },
    ],
    engine: 'ReplacingMergeTree()',
    orderBy: ['_partition'],
  }
  try {
    assert.deepEqual(await ensureTable(ch, v1, cluster), { created: true, added: [] })
    const v2 = { ...v1, columns: [...v1.columns, { name: 'b', type: 'Nullable(Int64)' }] }
    assert.deepEqual(await ensureTable(ch, v2, cluster), { created: false, added: ['b'] })
    await ch.insertRaw(name, '{"_partition":3,"a":"x","b":7}\n', undefined, undefined, 3)
    for (const url of servers.flat()) {
      await waitFor(
        `${url} to have column b in ${name} and ${name}_local`,
        async () =>
          sql(
            url,
            `SELECT count() FROM system.columns WHERE database = currentDatabase() AND name = 'b' AND table IN ('${name}', '${name}_local')`,
          ),
        (n) => Number(n) === 2,
      )
      // A read picks either replica of shard 2, which may not have fetched the block yet.
      await waitFor(
        `the new column's value through ${url}`,
        async () => (await sql(url, `SELECT b FROM ${name} WHERE a = 'x'`)).trim(),
        (b) => b === '7',
      )
    }
  } finally {
    await ch.command(`DROP TABLE IF EXISTS ${name} ON CLUSTER ${cluster}`)
    await ch.command(`DROP TABLE IF EXISTS ${name}_local ON CLUSTER ${cluster}`)
  }
})

test('cluster chaos: the engine SIGKILLed twice and a ClickHouse replica SIGKILLed and restarted mid-run; plain counts exact', {
  skip: clusterModeSkip,
}, async (tc) => {
  tc.after(await holdCluster())
  const kills = 2
  const run = await prepareChaos(
    ctx,
    { events: 15_000, partitions: 4, duplicateRatio: 0.02, invalidRatio: 0.01, seed: 21 },
    env,
    0,
  )
  const replica = new StackService('ch-s1r1')
  await runClusterChaos(run, { kills, seed: 21, replica, replicaUrl: servers[0]![0]! })
  const s = await verifyChaos(run, 21)
  assert.deepEqual(
    { lost: s.lost, duplicated: s.duplicated, mismatched: s.mismatched, exact: s.plain.exact },
    { lost: 0, duplicated: 0, mismatched: 0, exact: true },
    JSON.stringify(s, null, 2),
  )
  for (const x of s.plain.tables) assert.equal(x.count, x.distinct, x.table)
  assert.equal(s.bronze.actual, s.produced)
  assert.ok(s.goldWindows.expected > 10 && s.goldSessions.expected > 10, 'the dataset exercises both golds')
})

test('start-up refuses a cluster the servers do not know, or a shard list that is not the cluster', {
  skip: clusterModeSkip,
}, async () => {
  const cluster = config.clickhouse.cluster!
  const check = async (name: string, shards: string[][]) => {
    const ch = createClusterClickHouse(name, shards)
    try {
      return await ch.features().then(
        () => 'accepted',
        (err: Error) => err.message,
      )
    } finally {
      await ch.close()
    }
  }
  assert.equal(await check(cluster, servers), 'accepted')
  assert.match(
    await check('nope', servers),
    /configuration clickhouse.cluster: "nope" is not a cluster of the servers at .* Fix: name one of their clusters \(.*tributary_cluster/,
  )
  assert.match(
    await check(cluster, [servers.flat()]),
    /configuration clickhouse.shards: lists 1 shards, but cluster tributary_cluster has 2. Fix: list the replicas of each of its 2 shards/,
  )
})
