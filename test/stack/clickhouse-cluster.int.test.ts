// Real services: the stack's cluster mode, ClickHouse 18.16 cluster `tributary_cluster` of 2 shards x
// 2 replicas (ch-s1r1 ch-s1r2 ch-s2r1 ch-s2r2) sharing the stack's ZooKeeper. The test SIGKILLs one
// replica and restarts it with scripts/stack/service.sh, as the cluster chaos does.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { holdCluster, StackService } from '../../scripts/chaos/cluster.ts'
import { clusterEndpointsFromEnv, STACK_CLUSTER } from '../../src/config/endpoints.ts'
import { count, sql } from '../support/clickhouse-http.ts'
import { clusterModeSkip, uniqueName, until } from '../support/stack.ts'

const s1r1Service = new StackService('ch-s1r1')

test('ClickHouse cluster: ON CLUSTER DDL, replication, dedup across replicas, Distributed reads through a SIGKILLed replica', {
  skip: clusterModeSkip,
}, async (t) => {
  const release = await holdCluster()
  const [[s1r1, s1r2], [s2r1, s2r2]] = clusterEndpointsFromEnv().clickhouseShards as [
    [string, string],
    [string, string],
  ]
  const servers = { s1r1, s1r2, s2r1, s2r2 }
  const cluster = STACK_CLUSTER.name
  const table = uniqueName('cluster')
  const local = `${table}_local`
  let killed = false
  t.after(async () => {
    try {
      if (killed) await s1r1Service.start() // back up if the test failed while it was down
      await sql(s1r1, `DROP TABLE IF EXISTS ${table} ON CLUSTER ${cluster}`)
      await sql(s1r1, `DROP TABLE IF EXISTS ${local} ON CLUSTER ${cluster}`)
    } finally {
      release()
    }
  })

  await t.test(
    'ON CLUSTER DDL creates the replicated table and the Distributed table on all four servers',
    async () => {
      await sql(
        s1r1,
        `CREATE TABLE ${local} ON CLUSTER ${cluster} (id UInt32, name String)
       ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/${local}', '{replica}') ORDER BY id`,
      )
      await sql(
        s1r1,
        `CREATE TABLE ${table} ON CLUSTER ${cluster} AS ${local}
       ENGINE = Distributed(${cluster}, currentDatabase(), ${local}, id)`,
      )
      for (const [name, url] of Object.entries(servers)) {
        const replica = await sql(
          url,
          `SELECT replica_name, zookeeper_path, is_readonly FROM system.replicas
         WHERE database = currentDatabase() AND table = '${local}' FORMAT TSV`,
        )
        const [shard, r] = [name.slice(1, 2), name.slice(2)]
        assert.equal(
          replica.trim(),
          `${r}\t/clickhouse/tables/0${shard}/${local}\t0`,
          `${name}: a writable replica`,
        )
        assert.equal(
          (
            await sql(
              url,
              `SELECT engine FROM system.tables WHERE database = currentDatabase() AND name = '${table}'`,
            )
          ).trim(),
          'Distributed',
          `${name} has the Distributed table`,
        )
      }
    },
  )

  const block = `INSERT INTO ${local} VALUES (1, 'a'), (2, 'b'), (3, 'c')`

  await t.test('a block inserted on replica 1 of shard 1 appears on replica 2', async () => {
    await sql(s1r1, block)
    assert.equal(await count(s1r1, `SELECT count() FROM ${local}`), 3)
    await until('s1r2 to fetch the block', async () =>
      (await count(s1r2, `SELECT count() FROM ${local}`)) === 3 ? true : undefined,
    )
    assert.equal(await count(s2r1, `SELECT count() FROM ${local}`), 0, 'shard 2 holds none of it')
  })

  await t.test('the same block inserted through replica 2 is dropped as a duplicate', async () => {
    await sql(s1r2, block)
    assert.equal(await count(s1r2, `SELECT count() FROM ${local}`), 3)
    await sql(s1r1, `SYSTEM SYNC REPLICA ${local}`)
    assert.equal(await count(s1r1, `SELECT count() FROM ${local}`), 3)
  })

  await t.test('a Distributed table over both shards answers the count', async () => {
    await sql(s2r1, `INSERT INTO ${local} VALUES (10, 'x'), (11, 'y'), (12, 'z'), (13, 'w'), (14, 'v')`)
    await sql(s2r2, `SYSTEM SYNC REPLICA ${local}`)
    for (const [name, url] of Object.entries(servers)) {
      assert.equal(await count(url, `SELECT count() FROM ${table}`), 8, `Distributed count through ${name}`)
    }
  })

  await t.test(
    'with replica 1 of shard 1 SIGKILLed, Distributed reads still answer; restarted, it catches up',
    async () => {
      await s1r1Service.kill()
      killed = true
      // Each read picks a replica per shard at random: several reads cover the dead one being picked.
      for (let i = 0; i < 10; i++) {
        assert.equal(await count(s2r1, `SELECT count() FROM ${table}`), 8, `read ${i} through s2r1`)
      }
      await sql(s1r2, `INSERT INTO ${local} VALUES (20, 'late'), (21, 'later')`)
      assert.equal(await count(s1r2, `SELECT count() FROM ${local}`), 5)

      await s1r1Service.start()

      killed = false
      await until(
        'the restarted s1r1 to catch up with s1r2',
        async () => ((await count(s1r1, `SELECT count() FROM ${local}`)) === 5 ? true : undefined),
        120_000,
      )
      assert.equal(
        await count(s1r1, `SELECT count() FROM ${table}`),
        10,
        'Distributed count through the restarted replica',
      )
    },
  )
})
