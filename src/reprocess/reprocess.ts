/**
 * `tributary reprocess`: runs records a topology once rejected (or bronze holds but silver does not)
 * through the topology as it is now, into silver and gold, exactly once. The argument, per input
 * partition, chunk by chunk (a chunk: the candidates in one fixed range of offsets, see candidates.ts):
 *
 * 0. **read** the chunk in offset order. Candidates already in silver were landed by a run cut short
 *    before step 4: they only get their resolution. The others go through the engine's own pipeline
 *    (buildPipeline: decode, rules, dedup, transforms, gold windows) with fresh in-memory state.
 * 1. **gold**: the chunk is a bounded input: nothing in it is late (the watermark allows any
 *    disorder) and every window closes at its end. Its partial rows are written beside the live
 *    ones under `_topic = <topic>#reprocess:<first>-<last>`, the first and last offsets that landed:
 *    the views merge them like any partition's partials, also into windows the live engine closed
 *    long ago (a reprocessed record counts in its own window, late or not). Disjoint runs land
 *    disjoint records, so their partials never share that name.
 * 2. **silver**: one block named `<silver>:reprocess:<topic>:<P>:<first>-<last>`, rows ingest-timed
 *    with the chunk's original ingest time. From bronze, new rejects go to quarantine the same way.
 * 3. **resolve**: one row per resolved quarantined record into `quarantine_<entity>_resolved`.
 *
 * A crash before step 3 leaves the chunk open; the re-run reads the same chunk (its offset range is
 * fixed, and its resolutions land whole or not at all), forms the same blocks with the same
 * bytes and names, and the target drops them (block hash on 18.16 Replicated tables, insert tokens
 * elsewhere; gold also collapses under the views' FINAL). Gold is written before silver, so a record
 * found in silver has its gold partial. On a cluster every replica first fetches what its shard
 * holds (sync-replicas.ts), so what a run reads is what earlier runs wrote. One reprocess per topology at a time; a re-run after a crash
 * must use the same topology and options.
 */
import { randomBytes } from 'node:crypto'
import type { Logger } from 'pino'
import type { ClickHouse } from '../clickhouse/client.ts'
import type { Features } from '../clickhouse/features.ts'
import { quoteTable } from '../clickhouse/identifiers.ts'
import { JSON_EACH_ROW, serializeRows } from '../clickhouse/insert-body.ts'
import type { TributaryConfig } from '../config/config.ts'
import { ConfigError } from '../errors/tributary-error.ts'
import { EngineEvents } from '../observability/events.ts'
import { buildPipeline } from '../pipeline/pipeline.ts'
import { partitionKey, type TopicPartition } from '../records/partition.ts'
import type { Envelope } from '../records/record.ts'
import type { Rejection } from '../records/rejection.ts'
import { ensureTables, topologyInserter } from '../runtime/wiring.ts'
import { bindFormat } from '../serde/bind.ts'
import type { SchemaRegistry } from '../serde/registry.ts'
import { columnCheck } from '../sinks/clickhouse/capacity.ts'
import { goldLine, goldPartialsTable } from '../sinks/clickhouse/gold.ts'
import { FanoutSink } from '../sinks/fanout-sink.ts'
import { MemorySink } from '../sinks/memory-sink.ts'
import { rejectionRows, silverEncoder } from '../sinks/rows.ts'
import type { EpochBlocks } from '../sinks/sink.ts'
import { jsonLines, type RowWriter, TableSink } from '../sinks/table-sink.ts'
import { PartitionStates } from '../state/partition-states.ts'
import type { AnyTopology } from '../topology/define.ts'
import { tableNames } from '../topology/table-names.ts'
import type { GoldDeclaration } from '../windows/gold.ts'
import type { GoldRow } from '../windows/gold-row.ts'
import { type Candidate, Candidates, type ReprocessFrom } from './candidates.ts'
import { syncReplicas } from './sync-replicas.ts'

export interface ReprocessOptions {
  readonly topology: AnyTopology
  readonly config: TributaryConfig
  readonly clickhouse: ClickHouse
  readonly registry: SchemaRegistry
  readonly logger: Logger
  readonly from: ReprocessFrom
  /** Names the topology's logic this run applied (the CLI: a hash of the topology file). */
  readonly rulesVersion: string
  readonly runId?: string
  /**
   * Offsets per chunk (one block per table per chunk): a chunk holds a partition's candidates in
   * `[k * chunkOffsets, (k + 1) * chunkOffsets)`. Default 10,000. A re-run must use the same.
   */
  readonly chunkOffsets?: number
  /** Progress is logged at most this often. Default 2 s. */
  readonly progressEveryMs?: number
  readonly clock?: () => number
  /** Where rows go; default the retrying, circuit-broken inserter the engine uses. */
  readonly writer?: RowWriter
}

export interface ReprocessSummary {
  readonly runId: string
  readonly rulesVersion: string
  /** Candidates read. */
  readonly read: number
  /** Now in silver (and gold) through this run. */
  readonly toSilver: number
  /** Found in silver already (a run cut short landed them): resolved only. */
  readonly alreadyInSilver: number
  /** Dropped by the topology's dedup: resolved as duplicates. */
  readonly duplicates: number
  /** Rejected again, by reason code: they stay open in quarantine. */
  readonly stillRejected: Readonly<Record<string, number>>
  /** From bronze: records never quarantined that the rules now reject, newly quarantined. */
  readonly newlyQuarantined: number
  /** Quarantine rows this run marked resolved. */
  readonly resolved: number
  readonly chunks: number
  /** Golds a reprocess cannot feed (session windows, `reduce`): their partials do not merge. */
  readonly goldsNotFed: readonly string[]
  /** The tables after the run (plain counts): bronze = silver + open quarantine + duplicates dropped. */
  readonly accounting: Accounting
  readonly durationMs: number
}

export interface Accounting {
  readonly bronze: number
  readonly silver: number
  readonly openQuarantine: number
  /** Quarantined records a reprocess dropped as duplicates (live drops are only counted in metrics). */
  readonly resolvedDuplicates: number
}

/** Any disorder: the windows of a bounded input close when it ends, never on its watermark. */
const UNBOUNDED_DISORDER = '36500d'

export async function reprocess(opts: ReprocessOptions): Promise<ReprocessSummary> {
  const { topology, config, clickhouse, logger, from } = opts
  const clock = opts.clock ?? Date.now
  const started = clock()
  const def = topology.definition
  if (!topology.tables.silver && topology.tables.gold.length === 0)
    throw new ConfigError(
      `topology ${topology.name}`,
      'is bronze-only: there is nothing to reprocess into',
      'give it a silver layer (layers.silver) or a gold',
    )
  if (from.kind === 'bronze' && def.dedup)
    throw new ConfigError(
      `topology ${topology.name}: --from-bronze`,
      `the topology drops duplicates (dedup ${def.dedup.name}), and bronze cannot tell a record dedup dropped from one never processed`,
      'reprocess its quarantine instead (--from-quarantine)',
    )
  const features = await clickhouse.features()
  await ensureTables(topology, clickhouse, features, config, logger)
  const writer = opts.writer ?? defaultWriter(opts)
  const t = topology.tables
  const read = [t.bronze, t.silver, t.quarantine, tableNames.quarantineResolved(topology.entity)]
  const synced = () =>
    syncReplicas(
      config,
      read.filter((x) => x !== undefined),
      logger,
    )
  await synced()
  const fed = (def.gold ?? []).filter(mergeable)
  const goldsNotFed = (def.gold ?? []).filter((g) => !mergeable(g)).map((g) => g.name)
  if (goldsNotFed.length > 0)
    logger.warn(
      { golds: goldsNotFed },
      'reprocessed records do not reach these golds: session windows and reduce cannot take partial rows from another run',
    )
  const run: Run = {
    opts,
    features,
    writer,
    runId: opts.runId ?? `${new Date(started).toISOString()}-${randomBytes(3).toString('hex')}`,
    // The topology as it is now, its golds fed as a bounded input.
    bounded: {
      ...topology,
      definition: { ...def, gold: fed, watermark: { ...def.watermark, outOfOrderness: UNBOUNDED_DISORDER } },
    },
    serde: bindFormat(def.source.format, opts.registry),
    tally: {
      read: 0,
      toSilver: 0,
      alreadyInSilver: 0,
      duplicates: 0,
      newlyQuarantined: 0,
      resolved: 0,
      chunks: 0,
    },
    stillRejected: {},
  }
  const candidates = new Candidates(clickhouse, topology, from, features)
  const chunkOffsets = opts.chunkOffsets ?? 10_000
  const progressEvery = opts.progressEveryMs ?? 2000
  let lastProgress = started
  logger.info(
    { topology: topology.name, runId: run.runId, from, rulesVersion: opts.rulesVersion },
    'reprocess started',
  )
  for (const tp of await candidates.partitions()) {
    let after = -1n
    for (;;) {
      const chunk = await candidates.chunk(tp, after, chunkOffsets)
      if (chunk === undefined) break
      await reprocessChunk(run, tp, chunk.candidates)
      after = chunk.last
      if (clock() - lastProgress >= progressEvery) {
        lastProgress = clock()
        const seconds = (lastProgress - started) / 1000
        logger.info(
          {
            topic: tp.topic,
            partition: tp.partition,
            offset: String(after),
            ...run.tally,
            perSecond: Math.round(run.tally.read / seconds),
          },
          'reprocess progress',
        )
      }
    }
  }
  // The accounting reads what this run just wrote.
  await synced()
  const summary: ReprocessSummary = {
    runId: run.runId,
    rulesVersion: opts.rulesVersion,
    ...run.tally,
    stillRejected: run.stillRejected,
    goldsNotFed,
    accounting: await accounting(clickhouse, topology),
    durationMs: clock() - started,
  }
  logger.info({ topology: topology.name, ...summary }, 'reprocess finished')
  return summary
}

interface Run {
  readonly opts: ReprocessOptions
  readonly features: Features
  readonly writer: RowWriter
  readonly runId: string
  readonly bounded: AnyTopology
  readonly serde: ReturnType<typeof bindFormat>
  readonly tally: {
    read: number
    toSilver: number
    alreadyInSilver: number
    duplicates: number
    newlyQuarantined: number
    resolved: number
    chunks: number
  }
  readonly stillRejected: Record<string, number>
}

/** Steps 0 to 3 of the argument above, for one chunk of one partition. */
async function reprocessChunk(run: Run, tp: TopicPartition, chunk: readonly Candidate[]): Promise<void> {
  const { topology, clock } = run.opts
  const fresh = chunk.filter((c) => !c.inSilver)
  const ingestTime = chunk.reduce((t, c) => Math.max(t, c.ingestTime), 0)
  const sinks = chunkSinks(run, ingestTime)
  const states = new PartitionStates()
  states.set(tp.topic, tp.partition, { offset: null, dedup: new Map(), kv: new Map(), meta: {} })
  const pipeline = buildPipeline(
    run.bounded,
    run.serde,
    {
      silver: new FanoutSink('silver', [sinks.landed, ...(sinks.silver ? [sinks.silver] : [])]),
      rejects: sinks.rejected,
      gold: sinks.gold,
      late: sinks.late,
    },
    { partitions: states, clock: clock ?? Date.now },
    { columns: columnCheck(topology.definition.source.format.schema, run.features) },
  )
  await run.serde.prepare(
    fresh.map((c) => c.record.value),
    tp.topic,
  )
  pipeline.push(fresh.map((c) => c.record))
  const landed = sinks.landed.all.map((e) => e.source.offset)
  const rejected = sinks.rejected.all
  if (sinks.late.all.length > 0) throw new Error('a bounded reprocess input found a record late: a bug')
  if (landed.length > 0) {
    const blocks = blocksOf(tp, landed)
    sinks.marker.current = `${tp.topic}#reprocess:${landed[0]}-${landed.at(-1)}`
    pipeline.drain()
    for (const g of sinks.gold.values()) await g.flush(blocks)
    await sinks.silver?.flush(blocks)
  }
  pipeline.close()
  const quarantined = new Set(chunk.filter((c) => c.quarantined).map((c) => c.record.offset))
  const newRejects = rejected.filter((r) => !quarantined.has(r.source.offset))
  if (newRejects.length > 0) {
    for (const r of newRejects) sinks.quarantine.add(r)
    await sinks.quarantine.flush(
      blocksOf(
        tp,
        newRejects.map((r) => r.source.offset),
      ),
    )
  }
  const landedSet = new Set(landed)
  const rejectedSet = new Set(rejected.map((r) => r.source.offset))
  const resolutions = chunk.flatMap((c) => {
    if (!c.quarantined) return []
    const o = c.record.offset
    if (c.inSilver || landedSet.has(o)) return [{ offset: o, outcome: 'silver' }]
    return rejectedSet.has(o) ? [] : [{ offset: o, outcome: 'duplicate' }]
  })
  if (resolutions.length > 0) await resolve(run, tp, resolutions)
  const t = run.tally
  t.read += chunk.length
  t.chunks++
  t.alreadyInSilver += chunk.length - fresh.length
  t.toSilver += landed.length
  t.newlyQuarantined += newRejects.length
  t.resolved += resolutions.length
  t.duplicates += fresh.length - landed.length - rejected.length
  for (const r of rejected) run.stillRejected[r.code] = (run.stillRejected[r.code] ?? 0) + 1
}

/** One block for the partition, named after the first and last offsets of its rows. */
function blocksOf(tp: TopicPartition, offsets: readonly string[]): EpochBlocks {
  const to = offsets.at(-1)!
  return new Map([[partitionKey(tp.topic, tp.partition), { id: `${offsets[0]}-${to}`, to }]])
}

/** The chunk's sinks: the engine's row encoders and table sinks, blocks named `<table>:reprocess:...`. */
function chunkSinks(run: Run, ingestTime: number) {
  const { topology } = run.opts
  const { writer, features } = run
  const table = <T>(
    name: string,
    rest: Omit<ConstructorParameters<typeof TableSink<T>>[0], 'table' | 'writer'>,
  ) =>
    new TableSink<T>({
      table: name,
      writer,
      tokenPrefix: `${name}:reprocess`,
      ingestTime: () => ingestTime,
      ...rest,
    })
  const marker = { current: '' }
  return {
    marker,
    landed: new MemorySink<Envelope<object>>('landed'),
    rejected: new MemorySink<Rejection>('rejected'),
    late: new MemorySink<Rejection>('late'),
    silver: topology.tables.silver
      ? table<Envelope<object>>(topology.tables.silver, {
          encoder: silverEncoder(topology.definition.source, features),
          partitionOf: (e) => e.source,
        })
      : undefined,
    quarantine: table<Rejection>(topology.tables.quarantine, {
      encoder: rejectionRows,
      partitionOf: (r) => r.source,
    }),
    gold: new Map(
      (run.bounded.definition.gold ?? []).map((g) => {
        const line = goldLine(g)
        return [
          g.name,
          table<GoldRow>(goldPartialsTable(g, features).name, {
            encoder: jsonLines((row) => line({ ...row, topic: marker.current })),
            partitionOf: (row) => row,
          }),
        ]
      }),
    ),
  }
}

/** Step 3: which quarantined records this run resolved, one block per chunk. */
async function resolve(run: Run, tp: TopicPartition, rows: readonly { offset: string; outcome: string }[]) {
  const { topology, from, rulesVersion } = run.opts
  const table = tableNames.quarantineResolved(topology.entity)
  const resolvedAt = (run.opts.clock ?? Date.now)()
  const filter =
    from.kind === 'quarantine' ? (from.rule ?? '') : `bronze since ${new Date(from.since).toISOString()}`
  const body = serializeRows(
    rows.map((r) => ({
      _topic: tp.topic,
      _partition: tp.partition,
      _offset: r.offset,
      outcome: r.outcome,
      run_id: run.runId,
      rules_version: rulesVersion,
      rule_filter: filter,
      topology: topology.name,
      resolved_at: resolvedAt,
    })),
  )
  const token = `${table}:reprocess:${tp.topic}:${tp.partition}:${rows[0]!.offset}-${rows.at(-1)!.offset}:${run.runId}`
  await run.writer.insertRaw(table, body, rows.length, JSON_EACH_ROW, token, tp.partition)
}

/** Plain counts, exact without FINAL on every target `clickhouse.exactness=insert` accepts. */
export async function accounting(ch: ClickHouse, topology: AnyTopology): Promise<Accounting> {
  const t = topology.tables
  const e = topology.entity
  const count = async (table: string | undefined, where = '1') =>
    table === undefined
      ? 0
      : Number(
          (
            await ch.query<{ c: string }>(
              `SELECT toString(count()) AS c FROM ${quoteTable(table)} WHERE ${where}`,
            )
          )[0]?.c ?? 0,
        )
  return {
    bronze: await count(t.bronze),
    silver: await count(t.silver),
    openQuarantine: await count(tableNames.quarantineOpen(e)),
    resolvedDuplicates: await count(tableNames.quarantineResolved(e), "outcome = 'duplicate'"),
  }
}

/** Session windows and `reduce` need a window's records in one partial (see checkGold). */
function mergeable<T>(g: GoldDeclaration<T>): boolean {
  return g.window.kind !== 'session' && Object.values(g.aggregate).every((a) => a.kind !== 'reduce')
}

function defaultWriter(opts: ReprocessOptions): RowWriter {
  const inserter = topologyInserter({
    topology: opts.topology.name,
    clickhouse: opts.clickhouse,
    config: opts.config,
    events: new EngineEvents(),
    onWait: async () => {},
  })
  return {
    insertRaw: async (...args) => {
      await inserter.insertRaw(...args)
    },
  }
}
