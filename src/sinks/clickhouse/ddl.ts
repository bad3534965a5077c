/**
 * Table definitions for the medallion layers. Every data table carries Kafka lineage, and bronze,
 * silver and quarantine are ReplacingMergeTree ordered by (topic, partition, offset): a batch
 * re-delivered after a crash (at-least-once from Kafka) collapses to one row per offset under
 * FINAL, which is what makes the pipeline effectively-once.
 */

import { localTableName } from '../../clickhouse/cluster.ts'
import type { Features } from '../../clickhouse/features.ts'
import { assertPlainName, quoteIdent, quoteString, quoteTable } from '../../clickhouse/identifiers.ts'
import type { RecordSchema } from '../../schema/types.ts'
import { tableNames } from '../../topology/table-names.ts'
import { type Column, readableTime, schemaColumns, type TypeFeatures, timestampType } from './types.ts'

export interface TableSpec {
  readonly name: string
  readonly columns: readonly Column[]
  /** e.g. `ReplacingMergeTree()`, `ReplacingMergeTree(_version)`, `MergeTree()`. */
  readonly engine: string
  readonly orderBy: readonly string[]
  readonly partitionBy?: string
  /**
   * Blocks remembered for insert deduplication where the engine has `non_replicated_deduplication_window`:
   * an identical retried insert is then dropped by ClickHouse before it ever needs FINAL.
   */
  readonly dedupWindow?: number
}

/** A change stream's silver (see cdc/debezium.ts): its primary key, and what the engine offers. */
export interface ChangeTable {
  readonly key: readonly string[]
  readonly features: Pick<Features, 'replacingIsDeleted'>
}

/** A change's op (c, u, d, r), its version (source position) and whether it deleted the key. */
export const CHANGE_COLUMNS: readonly Column[] = [
  { name: '_op', type: 'String' },
  { name: '_version', type: 'UInt64' },
  { name: '_deleted', type: 'UInt8' },
]

export const LINEAGE_COLUMNS = [
  '_topic',
  '_partition',
  '_offset',
  '_kafka_timestamp',
  '_ingest_time',
] as const
const KAFKA_ORDER = ['_topic', '_partition', '_offset']
const DEDUP_WINDOW = 1000

export function lineageColumns(f: TypeFeatures): Column[] {
  const ts = timestampType(f)
  return [
    { name: '_topic', type: 'String' },
    { name: '_partition', type: 'Int32' },
    { name: '_offset', type: 'Int64' },
    { name: '_kafka_timestamp', type: ts },
    { name: '_ingest_time', type: ts },
    ...readableTime('_kafka_timestamp', f),
    ...readableTime('_ingest_time', f),
  ]
}

/**
 * The raw Kafka record, so nothing is lost before decoding: key and payload (text, or base64 as
 * their encodings say; a tombstone's value encoding is `tombstone`), headers as a readable JSON
 * object (`_headers`) and as received (`_header_keys`/`_header_values`: in order, repeats kept,
 * values as bytes). Columns added later come last, so `ensureTable` adds them to older tables.
 */
function rawRecordColumns(): Column[] {
  return [
    { name: '_key', type: 'Nullable(String)' },
    { name: '_headers', type: 'String' },
    { name: '_value', type: 'String' },
    { name: '_value_encoding', type: 'String' },
    { name: '_key_encoding', type: 'String' },
    { name: '_header_keys', type: 'Array(String)' },
    { name: '_header_values', type: 'Array(String)' },
  ]
}

export function bronzeTable(entity: string, f: TypeFeatures): TableSpec {
  return {
    name: tableNames.bronze(assertPlainName('entity', entity)),
    columns: storedFirst([
      ...lineageColumns(f),
      ...rawRecordColumns(),
      { name: '_schema_id', type: 'Nullable(Int32)' },
    ]),
    engine: 'ReplacingMergeTree()',
    orderBy: KAFKA_ORDER,
    dedupWindow: DEDUP_WINDOW,
  }
}

/**
 * Silver. For a change stream it holds each key's changes, ordered by the key, and
 * ReplacingMergeTree keeps the highest `_version` per key as parts merge: the current state is
 * exact under FINAL (with `_deleted = 0` where the engine has no is_deleted parameter), and always
 * exact through the `silver_<entity>_current` view (current.ts). A replayed block is still
 * dropped on insert, as for any table.
 */
export function silverTable(
  entity: string,
  schema: RecordSchema,
  f: TypeFeatures,
  changes?: ChangeTable,
): TableSpec {
  const fields = schemaColumns(schema, f)
  const lineage = [...(changes ? CHANGE_COLUMNS : []), ...lineageColumns(f)]
  for (const c of fields) {
    assertPlainName(`field of ${schema.name}`, c.name)
    if (lineage.some((l) => l.name === c.name)) {
      throw new TypeError(`schema ${schema.name} has a field named ${c.name}, which is reserved for lineage`)
    }
  }
  return {
    name: tableNames.silver(assertPlainName('entity', entity)),
    columns: storedFirst([...fields, ...lineage]),
    engine: changes
      ? `ReplacingMergeTree(_version${changes.features.replacingIsDeleted ? ', _deleted' : ''})`
      : 'ReplacingMergeTree()',
    orderBy: changes ? changes.key : KAFKA_ORDER,
    dedupWindow: DEDUP_WINDOW,
  }
}

export function quarantineTable(entity: string, f: TypeFeatures): TableSpec {
  return {
    name: tableNames.quarantine(assertPlainName('entity', entity)),
    columns: storedFirst([
      ...lineageColumns(f),
      ...rawRecordColumns(),
      { name: 'stage', type: 'String' },
      { name: 'reason', type: 'String' },
      { name: 'rules', type: 'Array(String)' },
      { name: 'topology', type: 'String' },
    ]),
    engine: 'ReplacingMergeTree()',
    orderBy: KAFKA_ORDER,
    dedupWindow: DEDUP_WINDOW,
  }
}

/**
 * Quarantined records a reprocess resolved: one row per record, by lineage, naming the run, the
 * rules version it ran with, and where the record went (`silver` or `duplicate`). Append-only and
 * deduplicated like every data table, so a resolution written twice counts once.
 */
export function quarantineResolvedTable(entity: string, f: TypeFeatures): TableSpec {
  const ts = timestampType(f)
  return {
    name: tableNames.quarantineResolved(assertPlainName('entity', entity)),
    columns: storedFirst([
      { name: '_topic', type: 'String' },
      { name: '_partition', type: 'Int32' },
      { name: '_offset', type: 'Int64' },
      { name: 'outcome', type: 'String' },
      { name: 'run_id', type: 'String' },
      { name: 'rules_version', type: 'String' },
      { name: 'rule_filter', type: 'String' },
      { name: 'topology', type: 'String' },
      { name: 'resolved_at', type: ts },
      ...readableTime('resolved_at', f),
    ]),
    engine: 'ReplacingMergeTree()',
    orderBy: KAFKA_ORDER,
    dedupWindow: DEDUP_WINDOW,
  }
}

/**
 * Open quarantine: quarantine rows whose lineage no reprocess resolved. GLOBAL, so on a cluster the
 * resolutions are read once through their Distributed table and sent to every shard (a plain IN
 * over two Distributed tables is refused); on one server it is a plain anti-join.
 */
export function openQuarantineViewSql(entity: string, cluster?: string): string {
  const lineage = '(_topic, _partition, _offset)'
  return [
    `CREATE VIEW IF NOT EXISTS ${quoteTable(tableNames.quarantineOpen(entity))}${onCluster(cluster)} AS`,
    `SELECT * FROM ${quoteTable(tableNames.quarantine(entity))}`,
    `WHERE ${lineage} GLOBAL NOT IN (SELECT _topic, _partition, _offset FROM ${quoteTable(tableNames.quarantineResolved(entity))})`,
  ].join('\n')
}

/** Records too late for a gold window: the quarantine's columns, in a table of their own. */
export function lateTable(entity: string, f: TypeFeatures): TableSpec {
  return { ...quarantineTable(entity, f), name: tableNames.late(assertPlainName('entity', entity)) }
}

/** One row per flush per layer: an audit trail, so plain MergeTree and no lineage of its own. */
export function processingLogTable(f: TypeFeatures): TableSpec {
  const ts = timestampType(f)
  return {
    name: 'tributary_processing_log',
    columns: storedFirst([
      { name: 'topology', type: 'String' },
      { name: 'layer', type: 'String' },
      { name: 'table', type: 'String' },
      { name: 'status', type: 'String' },
      { name: 'started_at', type: ts },
      { name: 'finished_at', type: ts },
      ...readableTime('started_at', f),
      ...readableTime('finished_at', f),
      { name: 'duration_ms', type: 'UInt32' },
      { name: 'records_in', type: 'UInt64' },
      { name: 'records_out', type: 'UInt64' },
      { name: 'records_invalid', type: 'UInt64' },
      { name: 'topic', type: 'String' },
      { name: 'partition', type: 'Int32' },
      { name: 'offset_from', type: 'Int64' },
      { name: 'offset_to', type: 'Int64' },
      { name: 'error', type: 'String' },
    ]),
    engine: 'MergeTree()',
    orderBy: ['topology', 'started_at'],
  }
}

/**
 * A windowed aggregate's partial rows: one per (group key, window, input partition), because each
 * input partition aggregates on its own and a group's records may be spread over several. Each
 * re-emission of a window carries a higher `_version`, and ReplacingMergeTree(_version) keeps the
 * highest, so a replay after a crash rewrites the same rows and FINAL shows one per partition; the
 * `gold_<name>` view (gold-view.ts) merges them. `_deleted` marks a session that merged into another.
 */
export function goldTable(
  name: string,
  keyColumns: readonly Column[],
  partialColumns: readonly Column[],
  f: TypeFeatures,
): TableSpec {
  for (const c of [...keyColumns, ...partialColumns]) assertPlainName(`column of gold_${name}`, c.name)
  for (const k of keyColumns) {
    if (/^(Nullable|LowCardinality\(Nullable)\(/.test(k.type)) {
      throw new TypeError(`gold_${name} key column ${k.name} is ${k.type}; sorting keys cannot be Nullable`)
    }
  }
  const ts = timestampType(f)
  return {
    name: tableNames.goldPartials(assertPlainName('gold table', name)),
    columns: storedFirst([
      ...keyColumns,
      { name: 'window_start', type: ts },
      { name: 'window_end', type: ts },
      ...readableTime('window_start', f),
      ...readableTime('window_end', f),
      ...partialColumns,
      { name: '_topic', type: 'String' },
      { name: '_partition', type: 'Int32' },
      { name: '_version', type: 'UInt64' },
      { name: '_deleted', type: 'UInt8' },
    ]),
    engine: 'ReplacingMergeTree(_version)',
    orderBy: [...keyColumns.map((k) => k.name), 'window_start', '_topic', '_partition'],
    dedupWindow: DEDUP_WINDOW,
  }
}

/**
 * Where the server replicates, every table is Replicated: ClickHouse then drops a block identical
 * to one inserted before (also through another replica), which is what makes a replayed epoch
 * land once on 18.16. The replica path names the table, so each table has its own. On a cluster
 * the table is `<name>_local` on every server (`ON CLUSTER`), each shard replicating its own
 * path, and `distributedTableSql` makes `<name>` over them.
 */
export function createTableSql(
  spec: TableSpec,
  f: Pick<Features, 'nonReplicatedDedupWindow' | 'replicated'>,
  database = 'default',
  cluster?: string,
): string {
  if (cluster !== undefined && !f.replicated)
    throw new TypeError(
      `table ${spec.name} on cluster ${cluster}: the server has no ZooKeeper or no shard/replica macros, so it cannot replicate`,
    )
  const table = cluster === undefined ? spec : { ...spec, name: localTableName(spec.name) }
  const lines = [
    `CREATE TABLE IF NOT EXISTS ${quoteTable(table.name)}${onCluster(cluster)} (\n${columnList(spec)}\n)`,
    `ENGINE = ${f.replicated ? replicatedEngine(table, database) : spec.engine}`,
  ]
  if (spec.partitionBy) lines.push(`PARTITION BY ${spec.partitionBy}`)
  lines.push(`ORDER BY (${spec.orderBy.map(quoteIdent).join(', ')})`)
  const settings: string[] = []
  if (spec.dedupWindow !== undefined && f.replicated) {
    settings.push(`replicated_deduplication_window = ${spec.dedupWindow}`)
  } else if (spec.dedupWindow !== undefined && f.nonReplicatedDedupWindow) {
    settings.push(`non_replicated_deduplication_window = ${spec.dedupWindow}`)
  }
  // A replica SIGKILLed between writing a part and committing it to ZooKeeper finds the part
  // unexpected on restart, and 18.16 refuses to start when such parts exceed this share of the
  // table's rows: a small table's one block is all of it. The block was never acknowledged (its
  // insert is retried or replayed), so detaching it is right, whatever the share.
  if (cluster !== undefined) settings.push('replicated_max_ratio_of_wrong_parts = 1')
  if (settings.length > 0) lines.push(`SETTINGS ${settings.join(', ')}`)
  return lines.join('\n')
}

/**
 * What users query on a cluster: `<name>`, reading every shard's `<name>_local` (one replica per
 * shard). Its sharding key is the input partition, as the writers route (partition mod shards),
 * so a row inserted through it would land where the engine puts its block.
 */
export function distributedTableSql(spec: TableSpec, cluster: string, database = 'default'): string {
  const key = spec.columns.some((c) => c.name === '_partition') ? quoteIdent('_partition') : 'rand()'
  const args = [cluster, database, localTableName(spec.name)].map(quoteString)
  return [
    `CREATE TABLE IF NOT EXISTS ${quoteTable(spec.name)}${onCluster(cluster)} (\n${columnList(spec)}\n)`,
    `ENGINE = Distributed(${args.join(', ')}, ${key})`,
  ].join('\n')
}

export function dropTableSql(name: string, cluster?: string): string {
  return `DROP TABLE IF EXISTS ${quoteTable(name)}${onCluster(cluster)}`
}

export function addColumnSql(table: string, column: Column, cluster?: string): string {
  return `ALTER TABLE ${quoteTable(table)}${onCluster(cluster)} ADD COLUMN ${columnSql(column)}`
}

/** ` ON CLUSTER <name>`: the statement runs on every server of the cluster, now or when it is back. */
export function onCluster(cluster: string | undefined): string {
  return cluster === undefined ? '' : ` ON CLUSTER ${quoteIdent(assertPlainName('cluster', cluster))}`
}

function columnList(spec: TableSpec): string {
  return spec.columns.map((c) => `  ${columnSql(c)}`).join(',\n')
}

/** `ReplacingMergeTree(_version)` -> `ReplicatedReplacingMergeTree('<path>', '{replica}', _version)`. */
function replicatedEngine(spec: TableSpec, database: string): string {
  const match = /^(\w*MergeTree)\((.*)\)$/.exec(spec.engine)
  if (!match) throw new TypeError(`table ${spec.name}: engine ${spec.engine} has no Replicated form`)
  const [, family, args] = match
  const path = `/clickhouse/tables/{shard}/${database}.${spec.name}`
  return `Replicated${family}('${path}', '{replica}'${args ? `, ${args}` : ''})`
}

/** Whether a replayed block is dropped on insert, so plain queries are exact (see `clickhouse.exactness`). */
export function dedupOnInsert(f: Pick<Features, 'nonReplicatedDedupWindow' | 'replicated'>): boolean {
  return f.replicated || f.nonReplicatedDedupWindow
}

/** ALIAS columns last, where ClickHouse lists them (system.columns, DESCRIBE), so the two orders agree. */
function storedFirst(columns: Column[]): Column[] {
  return [...columns.filter((c) => !c.alias), ...columns.filter((c) => c.alias)]
}

/** A column as CREATE TABLE and ALTER TABLE ADD COLUMN spell it. */
export function columnSql(c: Column): string {
  return `${quoteIdent(c.name)} ${c.type}${c.alias ? ` ALIAS ${c.alias}` : ''}`
}
