// Real services: the stack's ZooKeeper and its default ClickHouse 18.16 server, configured as the
// one replica of the one shard of cluster `tributary` (scripts/stack/replication.sh).
import assert from 'node:assert/strict'
import net from 'node:net'
import { after, test } from 'node:test'
import { BASE_PORTS, portOffset } from '../../src/config/endpoints.ts'
import { count, sql } from '../support/clickhouse-http.ts'
import { stackEndpoints, uniqueName } from '../support/stack.ts'

const cleanups: (() => Promise<unknown>)[] = []
after(async () => {
  for (const c of cleanups.reverse()) await c()
})

/** Sends a ZooKeeper four-letter word and resolves with the whole answer. */
function fourLetterWord(word: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => socket.end(word))
    let answer = ''
    socket.setEncoding('utf8')
    socket.setTimeout(5_000, () => socket.destroy(new Error(`no answer to ${word} on :${port}`)))
    socket.on('data', (d) => {
      answer += d
    })
    socket.once('end', () => resolve(answer))
    socket.once('error', reject)
  })
}

test('ZooKeeper serves in standalone mode (srvr)', async () => {
  const port = BASE_PORTS.zookeeper + portOffset()
  const answer = await fourLetterWord('srvr', port)
  assert.match(answer, /^Zookeeper version: 3\.9\./m)
  assert.match(answer, /^Mode: standalone$/m, `srvr on :${port} answered: ${answer}`)
})

test('single server: ReplicatedMergeTree ON CLUSTER tributary keeps one copy of a block inserted twice', async () => {
  const { clickhouseUrl: url } = await stackEndpoints('clickhouse')
  const table = uniqueName('replicated_single')
  await sql(
    url,
    `CREATE TABLE ${table} ON CLUSTER tributary (id UInt32, name String)
     ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/${table}', '{replica}') ORDER BY id`,
  )
  cleanups.push(() => sql(url, `DROP TABLE IF EXISTS ${table} ON CLUSTER tributary`))

  const replica = await sql(
    url,
    `SELECT replica_name, zookeeper_path, is_readonly FROM system.replicas
     WHERE database = currentDatabase() AND table = '${table}' FORMAT TSV`,
  )
  assert.equal(replica.trim(), `r1\t/clickhouse/tables/01/${table}\t0`, 'a writable replica r1 of shard 01')

  await sql(url, `INSERT INTO ${table} VALUES (1, 'a'), (2, 'b'), (3, 'c')`)
  // The same rows in another order: 18.16 hashes a block after sorting it by the ORDER BY key.
  await sql(url, `INSERT INTO ${table} VALUES (3, 'c'), (1, 'a'), (2, 'b')`)
  assert.equal(await count(url, `SELECT count() FROM ${table}`), 3, 'the second, identical block was dropped')

  await sql(url, `INSERT INTO ${table} VALUES (1, 'a'), (2, 'b'), (3, 'changed')`)
  assert.equal(await count(url, `SELECT count() FROM ${table}`), 6, 'a block that differs lands')
})
