import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { customerSchema } from '../../../schemas/customers.ts'
import { currentViewSql } from '../../../src/sinks/clickhouse/current.ts'
import { createTableSql, silverTable } from '../../../src/sinks/clickhouse/ddl.ts'

const v18 = {
  dateTime64: false,
  lowCardinality: false,
  mapType: false,
  nonReplicatedDedupWindow: false,
  replicated: true,
}
const v26 = {
  dateTime64: true,
  lowCardinality: true,
  mapType: true,
  nonReplicatedDedupWindow: true,
  replicated: false,
}

describe('a change stream silver', () => {
  it('keeps the newest version per key, with is_deleted only where the engine has it', () => {
    const old = silverTable('customers', customerSchema, v18, {
      key: ['id'],
      features: { replacingIsDeleted: false },
    })
    const modern = silverTable('customers', customerSchema, v26, {
      key: ['id'],
      features: { replacingIsDeleted: true },
    })
    assert.deepEqual(old.orderBy, ['id'])
    assert.equal(old.engine, 'ReplacingMergeTree(_version)')
    assert.equal(modern.engine, 'ReplacingMergeTree(_version, _deleted)')
    for (const name of ['_op', '_version', '_deleted', '_topic', '_offset'])
      assert.ok(
        modern.columns.some((c) => c.name === name),
        name,
      )
    assert.match(
      createTableSql(old, v18, 'default'),
      /ENGINE = ReplicatedReplacingMergeTree\('\/clickhouse\/tables\/\{shard\}\/default\.silver_customers', '\{replica\}', _version\)/,
    )
    assert.match(
      createTableSql(modern, v26),
      /ENGINE = ReplacingMergeTree\(_version, _deleted\)\nORDER BY \(`id`\)/,
    )
  })

  it('the current view takes each key newest row as one tuple, without lineage, on every server of a cluster', () => {
    const spec = silverTable('customers', customerSchema, v18, {
      key: ['id'],
      features: { replacingIsDeleted: false },
    })
    const sql = currentViewSql(spec, 'silver_customers_current', ['id'], 'tributary_cluster')
    assert.match(
      sql,
      /^CREATE VIEW IF NOT EXISTS `silver_customers_current` ON CLUSTER `tributary_cluster` AS/,
    )
    assert.match(
      sql,
      /argMax\(tuple\(`name`, isNull\(`email`\), assumeNotNull\(`email`\), `country`, `tier`, `updated_at`, _op, _deleted\), _version\)/,
    )
    assert.match(sql, /GROUP BY `id`/)
    assert.match(sql, /WHERE s\.8 = 0$/)
    assert.doesNotMatch(sql, /_offset|_utc|FINAL/)
  })
})
