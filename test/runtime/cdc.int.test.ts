// Real services: Kafka, Schema Registry (Apicurio), Redis, and ClickHouse 18.16 server or chDB 26.
// The engine runs as a child process (`run --until-idle`), so chDB's one directory per process is
// the engine's while it runs and the test's after.
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, test } from 'node:test'
import type { Message } from 'kafkajs'
import { CUSTOMERS, type Customer } from '../../schemas/customers.ts'
import { currentRows, finalState, rowsOf, type SourceChange } from '../../scripts/chaos/changes.ts'
import { clusterEnv, holdCluster } from '../../scripts/chaos/cluster.ts'
import type { DebeziumChange } from '../../src/cdc/debezium.ts'
import { produceGenerated, sendAll } from '../../src/cli/commands/produce.ts'
import { createClickHouse } from '../../src/clickhouse/connect.ts'
import { clients } from '../../src/runtime/clients.ts'
import { bindSource } from '../../src/serde/bind.ts'
import { spawnEngine, topologyDir } from '../../src/testing/engine-process.ts'
import { renameTopology } from '../../src/testing/rename.ts'
import customers from '../../topologies/customers.ts'
import { count, createTopic, testConfig, testContext, uniqueName } from '../support/engine.ts'
import { clusterModeSkip } from '../support/stack.ts'

const config = testConfig()
const ctx = testContext(config)
after(() => ctx.close())

interface Sent extends SourceChange {
  /** A delete whose before image is empty: its key is in the Kafka key only. */
  readonly keyOnly?: boolean
}

const IDS = Array.from({ length: 60 }, (_, i) => i + 1)
const row = (id: number, v: string, at: number): Customer => ({
  id,
  name: `Customer ${id} ${v}`,
  email: id % 4 === 0 && v !== 'snap' ? null : `c${id}.${v}@example.com`,
  country: ['PT', 'BR', 'US', 'DE'][id % 4]!,
  tier: v,
  updated_at: 1_767_225_600_000 + at,
})

/** The stream: a snapshot, updates, deletes (each with its tombstone), re-creates, stale and invalid changes. */
function changes(): Sent[] {
  const out: Sent[] = []
  for (const id of IDS) out.push({ id, op: 'r', lsn: 1000 + id, row: row(id, 'snap', 1) })
  for (const id of IDS.filter((id) => id % 2 === 0))
    out.push({ id, op: 'u', lsn: 2000 + id, row: row(id, 'upd', 2) })
  for (const id of IDS.filter((id) => id % 5 === 0)) out.push({ id, op: 'd', lsn: 3000 + id, row: null })
  for (const id of IDS.filter((id) => id % 10 === 0))
    out.push({ id, op: 'c', lsn: 4000 + id, row: row(id, 'again', 4) })
  for (const id of IDS.filter((id) => id % 7 === 0)) {
    // Out of order: the newer change arrives first, the older one after it must lose.
    out.push({ id, op: 'u', lsn: 5000 + id, row: row(id, 'newest', 5) })
    out.push({ id, op: 'u', lsn: 4500 + id, row: row(id, 'stale', 6) })
  }
  // A stale delete (older than the snapshot): the key stays.
  for (const id of IDS.filter((id) => id % 9 === 0)) out.push({ id, op: 'd', lsn: 500 + id, row: null })
  out.push({ id: 3, op: 'u', lsn: 6003, row: { ...row(3, 'bad', 7), country: 'XX' }, invalid: true })
  out.push({ id: 11, op: 'd', lsn: 7011, row: null, keyOnly: true })
  // A replayed range: the updates again, verbatim.
  out.push(...out.filter((c) => c.op === 'u' && c.lsn < 3000))
  return out
}

for (const { engine, format } of [
  { engine: 'ClickHouse 18.16', format: 'avro' },
  { engine: 'chDB 26', format: 'json' },
  // Replicated <name>_local per shard, Distributed silver, the view on every server.
  { engine: 'a ClickHouse 18.16 cluster', format: 'avro' },
] as const) {
  const cluster = engine === 'a ClickHouse 18.16 cluster'
  test(`CDC on ${engine} (${format} envelopes): silver's current state equals the source table's, via a plain query`, {
    skip: cluster && clusterModeSkip,
  }, async (tc) => {
    if (cluster) tc.after(await holdCluster())
    const name = uniqueName('customers-cdc')
    const t = renameTopology(customers, name)
    await createTopic(config, name, 3)
    const serde = bindSource(
      format === 'avro' ? t.definition.source : { format: { ...t.definition.source.format, kind: 'json' } },
      ctx.registry(),
    )
    const sent = changes()
    const messages: Message[] = []
    let tombstones = 0
    for (const c of sent) {
      const key = JSON.stringify({ id: c.id })
      const before = c.op === 'd' ? (c.keyOnly ? null : { ...row(c.id, 'gone', 0) }) : null
      const event: DebeziumChange<Customer> = {
        before,
        after: c.op === 'd' ? null : c.row,
        op: c.op,
        ts_ms: 1,
        source: {
          version: '2.7.0.Final',
          connector: 'postgresql',
          name: 'dbserver1',
          ts_ms: 1,
          db: 'shop',
          schema: 'public',
          table: 'customers',
          txId: c.lsn,
          lsn: c.lsn,
        },
      }
      messages.push({ key, value: await serde.encode(event as never, name) })
      if (c.op === 'd') {
        messages.push({ key, value: null })
        tombstones++
      }
    }
    await sendAll(ctx, name, messages)

    const chdbDir = mkdtempSync(path.join(tmpdir(), 'tributary-cdc-chdb-'))
    const proc = spawnEngine(
      topologyDir('customers', name, format === 'json' ? 'json' : undefined),
      ['--until-idle', '100'],
      engine === 'chDB 26' ? { TRIBUTARY_CLICKHOUSE_URL: `chdb:${chdbDir}` } : cluster ? clusterEnv() : {},
    )
    const exit = await proc.exited
    assert.equal(exit.code, 0, proc.output())

    const own = engine === 'chDB 26' || cluster
    const ch =
      engine === 'chDB 26'
        ? await createClickHouse(`chdb:${chdbDir}`)
        : cluster
          ? await clients.clickhouse(testConfig(clusterEnv()))
          : await ctx.clickhouse()
    try {
      const expected = rowsOf(finalState(sent))
      // The exact surface: a plain query of the view.
      assert.deepEqual(await currentRows(ch, t.tables.current!), expected)
      // The eventual surface agrees under FINAL (is_deleted hides deletes where the engine has it).
      const f = await ch.features()
      const final = `${t.tables.silver} FINAL${f.replacingIsDeleted ? '' : ' WHERE _deleted = 0'}`
      assert.deepEqual(
        (await ch.query<{ id: string }>(`SELECT id FROM ${final} ORDER BY id`)).map((r) => Number(r.id)),
        expected.map((c) => c.id),
      )
      // Accounting: every change once in bronze; each is in silver, quarantine, or a tombstone.
      assert.equal(await count(ch, t.tables.bronze!, '1', false), messages.length)
      assert.equal(await count(ch, t.tables.quarantine, '1', false), 1)
      const [log] = await ch.query<{ out: string }>(
        `SELECT sum(records_out) AS out FROM tributary_processing_log WHERE topology = '${name}' AND layer = 'silver'`,
      )
      assert.equal(Number(log?.out) + 1 + tombstones, messages.length)
    } finally {
      if (own) await ch.close()
    }
  })
}

test('produce --generate for a change stream: bronze = changes in silver + quarantine + tombstones, every bad input quarantined', async () => {
  const name = uniqueName('customers-gen')
  const t = renameTopology(customers, name)
  await createTopic(config, name, 3)
  const summary = await produceGenerated(ctx, t, name, 3000, 0.05, { duplicateRatio: 0.02 })
  const invalid = Object.values(summary.invalid).reduce((a, b) => a + b, 0)
  assert.ok(summary.tombstones > 0 && summary.duplicates > 0)
  assert.equal(summary.produced, summary.valid + invalid + summary.duplicates + summary.tombstones)
  const proc = spawnEngine(topologyDir('customers', name), ['--until-idle', '100'])
  const exit = await proc.exited
  assert.equal(exit.code, 0, proc.output())
  const ch = await ctx.clickhouse()
  assert.equal(await count(ch, t.tables.bronze!, '1', false), summary.produced)
  assert.equal(await count(ch, t.tables.quarantine, '1', false), invalid)
  const [log] = await ch.query<{ out: string }>(
    `SELECT sum(records_out) AS out FROM tributary_processing_log WHERE topology = '${name}' AND layer = 'silver'`,
  )
  // A replayed change (the duplicates) is in silver twice: the same version, one current row.
  assert.equal(Number(log?.out), summary.valid + summary.duplicates)
  const live = await count(ch, t.tables.current!, '1', false)
  assert.ok(live > 0 && live <= CUSTOMERS, `${live} current rows`)
})
