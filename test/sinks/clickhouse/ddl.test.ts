import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { defineSchema } from '../../../src/schema/types.ts'
import {
  addColumnSql,
  bronzeTable,
  createTableSql,
  dedupOnInsert,
  distributedTableSql,
  dropTableSql,
  goldTable,
  processingLogTable,
  quarantineTable,
  silverTable,
} from '../../../src/sinks/clickhouse/ddl.ts'
import { sameType } from '../../../src/sinks/clickhouse/ensure-table.ts'

const v18 = {
  dateTime64: false,
  lowCardinality: false,
  mapType: false,
  nonReplicatedDedupWindow: false,
  replicated: false,
}
const v26 = {
  dateTime64: true,
  lowCardinality: true,
  mapType: true,
  nonReplicatedDedupWindow: true,
  replicated: false,
}
const v18Replicated = { ...v18, replicated: true }

describe('table specs', () => {
  it('bronze, silver and quarantine carry lineage and collapse on (topic, partition, offset)', () => {
    const schema = defineSchema({ type: 'record', name: 'X', fields: [{ name: 'id', type: 'string' }] })
    for (const spec of [
      bronzeTable('orders', v26),
      silverTable('orders', schema, v26),
      quarantineTable('orders', v26),
    ]) {
      const names = spec.columns.map((c) => c.name)
      for (const l of ['_topic', '_partition', '_offset', '_kafka_timestamp', '_ingest_time'])
        assert.ok(names.includes(l))
      assert.equal(spec.engine, 'ReplacingMergeTree()')
      assert.deepEqual(spec.orderBy, ['_topic', '_partition', '_offset'])
    }
  })

  it('timestamps are DateTime64 where supported and Int64 millis elsewhere', () => {
    const type = (f: typeof v18) => processingLogTable(f).columns.find((c) => c.name === 'started_at')?.type
    assert.equal(type(v26), "DateTime64(3, 'UTC')")
    assert.equal(type(v18), 'Int64')
  })

  it('silver refuses a field that would shadow a lineage column', () => {
    const schema = defineSchema({ type: 'record', name: 'X', fields: [{ name: '_offset', type: 'long' }] })
    assert.throws(() => silverTable('x', schema, v26), /reserved for lineage/)
  })

  it('gold partials refuse nullable key columns and order by keys, window_start, then input partition', () => {
    assert.throws(
      () => goldTable('g', [{ name: 'k', type: 'Nullable(String)' }], [], v26),
      /cannot be Nullable/,
    )
    const spec = goldTable('rev', [{ name: 'site', type: 'String' }], [{ name: 'n', type: 'UInt64' }], v26)
    assert.equal(spec.name, 'gold_rev_partials')
    assert.deepEqual(spec.orderBy, ['site', 'window_start', '_topic', '_partition'])
    assert.equal(spec.engine, 'ReplacingMergeTree(_version)')
  })

  it('refuses entity names that are not plain identifiers', () => {
    assert.throws(() => bronzeTable('orders; DROP TABLE x', v26), /letters, digits and underscores/)
  })
})

describe('createTableSql', () => {
  it('adds the dedup window only where the engine has the setting', () => {
    assert.match(
      createTableSql(bronzeTable('o', v26), v26),
      /SETTINGS non_replicated_deduplication_window = 1000$/,
    )
    assert.doesNotMatch(createTableSql(bronzeTable('o', v18), v18), /SETTINGS/)
  })

  it('makes every table Replicated where the server replicates, with its own path and a dedup window', () => {
    const sql = createTableSql(
      goldTable('rev', [{ name: 'site', type: 'String' }], [], v18),
      v18Replicated,
      'db1',
    )
    assert.match(
      sql,
      /ENGINE = ReplicatedReplacingMergeTree\('\/clickhouse\/tables\/\{shard\}\/db1\.gold_rev_partials', '\{replica\}', _version\)/,
    )
    assert.match(sql, /SETTINGS replicated_deduplication_window = 1000$/)
    assert.match(
      createTableSql(bronzeTable('o', v18), v18Replicated),
      /ENGINE = ReplicatedReplacingMergeTree\('\/clickhouse\/tables\/\{shard\}\/default\.bronze_o', '\{replica\}'\)/,
    )
    assert.equal(dedupOnInsert(v18), false)
    assert.equal(dedupOnInsert(v18Replicated), true)
    assert.equal(dedupOnInsert(v26), true)
  })

  it('quotes keyword column names', () => {
    assert.match(createTableSql(processingLogTable(v18), v18), /`partition` Int32/)
  })
})

describe('on a cluster', () => {
  const bronze = bronzeTable('o', v18)

  it('creates <name>_local ON CLUSTER, Replicated under its own per-shard path', () => {
    const sql = createTableSql(bronze, v18Replicated, 'db1', 'tc')
    assert.match(sql, /^CREATE TABLE IF NOT EXISTS `bronze_o_local` ON CLUSTER `tc` \(\n {2}`_topic` String,/)
    assert.match(
      sql,
      /ENGINE = ReplicatedReplacingMergeTree\('\/clickhouse\/tables\/\{shard\}\/db1\.bronze_o_local', '\{replica\}'\)/,
    )
    assert.match(
      sql,
      /SETTINGS replicated_deduplication_window = 1000, replicated_max_ratio_of_wrong_parts = 1$/,
    )
    assert.throws(() => createTableSql(bronze, v18, 'db1', 'tc'), /cannot replicate/)
  })

  it('a replica SIGKILLed mid-insert starts again: a part it wrote but never committed is detached, not fatal', () => {
    // 18.16 refuses to start a replica whose uncommitted parts exceed this share of its rows; a
    // small table's one unacknowledged block is all of it.
    assert.match(
      createTableSql(processingLogTable(v18), v18Replicated, 'db1', 'tc'),
      /\nSETTINGS replicated_max_ratio_of_wrong_parts = 1$/,
    )
  })

  it('creates <name> as a Distributed table over the local ones, sharded by input partition', () => {
    const sql = distributedTableSql(bronze, 'tc', 'db1')
    assert.match(sql, /^CREATE TABLE IF NOT EXISTS `bronze_o` ON CLUSTER `tc` \(\n {2}`_topic` String,/)
    assert.match(sql, /\nENGINE = Distributed\('tc', 'db1', 'bronze_o_local', `_partition`\)$/)
    for (const c of bronze.columns) assert.ok(sql.includes(`\`${c.name}\` ${c.type}`), c.name)
    // The processing log has no input partition: its rows spread at random.
    assert.match(
      distributedTableSql(processingLogTable(v18), 'tc'),
      /Distributed\('tc', 'default', 'tributary_processing_log_local', rand\(\)\)$/,
    )
  })

  it('evolves ON CLUSTER, and refuses a cluster name that is not a plain identifier', () => {
    assert.equal(
      addColumnSql('bronze_o_local', { name: 'x', type: 'Nullable(String)' }, 'tc'),
      'ALTER TABLE `bronze_o_local` ON CLUSTER `tc` ADD COLUMN `x` Nullable(String)',
    )
    assert.equal(addColumnSql('t', { name: 'x', type: 'Int32' }), 'ALTER TABLE `t` ADD COLUMN `x` Int32')
    assert.equal(dropTableSql('bronze_o', 'tc'), 'DROP TABLE IF EXISTS `bronze_o` ON CLUSTER `tc`')
    assert.throws(() => dropTableSql('t', 'tc; DROP'), /letters, digits and underscores/)
  })

  it('without a cluster, the DDL is what it was', () => {
    assert.doesNotMatch(createTableSql(bronze, v18Replicated), /ON CLUSTER|_local/)
  })
})

describe('sameType', () => {
  it('ignores spacing and LowCardinality, nothing else', () => {
    assert.ok(sameType('Decimal(12, 2)', 'Decimal(12,2)'))
    assert.ok(sameType('LowCardinality(Nullable(String))', 'Nullable(String)'))
    assert.ok(sameType('Array(LowCardinality(String))', 'Array(String)'))
    assert.ok(!sameType('Int32', 'Int64'))
    assert.ok(!sameType('Nullable(String)', 'String'))
  })
})
