/**
 * What the connected engine can do, detected rather than assumed from a version number, because the
 * supported floor (ClickHouse 18.16) and chDB 26 differ in types, table settings and formats. Every
 * DDL and row conversion takes a `Features`; nothing else inspects versions.
 */
export interface Features {
  /** `SELECT version()`, e.g. "18.16.1" or "26.7.2.1". */
  version: string
  major: number
  minor: number
  /** DateTime64(3, 'UTC') exists (20.1+); otherwise timestamps are stored as Int64 epoch millis. */
  dateTime64: boolean
  /** LowCardinality exists and needs no experimental flag (18.16 has it behind one: treated as absent). */
  lowCardinality: boolean
  /** Map(K, V) exists and needs no experimental flag (21.1+ GA); otherwise maps are JSON text. */
  mapType: boolean
  /** MergeTree setting `non_replicated_deduplication_window` exists: identical re-inserted blocks are dropped. */
  nonReplicatedDedupWindow: boolean
  /**
   * The server has ZooKeeper (or Keeper) and `shard`/`replica` macros: tables are Replicated, and a
   * replayed block identical to one inserted before is dropped on insert (18.16 has no other way).
   */
  replicated: boolean
  /** The insert setting `insert_deduplication_token` exists (22.2+): a block can be named. */
  insertDeduplicationToken: boolean
  /**
   * `ReplacingMergeTree(version, is_deleted)` exists (23.2+, found by its merge settings): FINAL and
   * merges then treat the newest version's deleted flag as the row being gone. 18.16 has only the
   * version: the flag is a plain column there.
   */
  replacingIsDeleted: boolean
  /** Output formats the engine can produce (18.16 has no Parquet output). */
  outputFormats: readonly string[]
}

/** Just enough of a client to run the probes; keeps this file free of any engine import. */
export interface FeatureProbe {
  query<T = Record<string, unknown>>(sql: string): Promise<T[]>
}

export async function detectFeatures(ch: FeatureProbe): Promise<Features> {
  const [versionRows, families, settings, mergeTree, formats, replicated] = await Promise.all([
    ch.query<{ v: string }>('SELECT version() AS v'),
    ch.query<{ name: string }>(
      "SELECT name FROM system.data_type_families WHERE name IN ('DateTime64', 'LowCardinality', 'Map')",
    ),
    ch.query<{ name: string; value: string }>(
      "SELECT name, value FROM system.settings WHERE name IN ('allow_experimental_low_cardinality_type', 'allow_experimental_map_type', 'insert_deduplication_token')",
    ),
    ch.query<{ name: string }>(
      "SELECT name FROM system.merge_tree_settings WHERE name IN ('non_replicated_deduplication_window', 'clean_deleted_rows', 'allow_experimental_replacing_merge_with_cleanup')",
    ),
    ch.query<{ name: string }>('SELECT name FROM system.formats WHERE is_output = 1'),
    hasReplication(ch),
  ])
  const version = versionRows[0]?.v ?? '0.0'
  const [major = 0, minor = 0] = version.split('.').map(Number)
  const family = new Set(families.map((r) => r.name))
  const flag = new Map(settings.map((r) => [r.name, r.value]))
  const treeSetting = new Set(mergeTree.map((r) => r.name))
  // A type behind a setting that defaults to off is unusable for tables others will insert into.
  const usable = (type: string, gate: string) => family.has(type) && (flag.get(gate) ?? '1') !== '0'
  return {
    version,
    major,
    minor,
    dateTime64: family.has('DateTime64'),
    lowCardinality: usable('LowCardinality', 'allow_experimental_low_cardinality_type'),
    mapType: usable('Map', 'allow_experimental_map_type'),
    nonReplicatedDedupWindow: treeSetting.has('non_replicated_deduplication_window'),
    // The settings that came with is_deleted (23.2) and its cleanup; either one means it is there.
    replacingIsDeleted:
      treeSetting.has('clean_deleted_rows') ||
      treeSetting.has('allow_experimental_replacing_merge_with_cleanup'),
    insertDeduplicationToken: flag.has('insert_deduplication_token'),
    replicated,
    outputFormats: formats.map((r) => r.name).sort(),
  }
}

/** ZooKeeper answers (system.zookeeper fails without it) and the macros a replica path needs exist. */
async function hasReplication(ch: FeatureProbe): Promise<boolean> {
  try {
    const [macros] = await ch.query<{ c: string }>(
      "SELECT count() AS c FROM system.macros WHERE macro IN ('shard', 'replica')",
    )
    if (Number(macros?.c) !== 2) return false
    await ch.query("SELECT name FROM system.zookeeper WHERE path = '/'")
    return true
  } catch {
    return false
  }
}

/** Detects once per client and caches; a failed detection is retried on the next call. */
export function memoizedFeatures(probe: FeatureProbe): () => Promise<Features> {
  let features: Promise<Features> | undefined
  return () => {
    features ??= detectFeatures(probe).catch((err: unknown) => {
      features = undefined
      throw err
    })
    return features
  }
}
