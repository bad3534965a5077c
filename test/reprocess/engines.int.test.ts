// Integration: the reprocess SQL (open-quarantine view, resolutions, candidates, blocks) on the
// ClickHouse 18.16 server, chDB 26 and, in cluster mode, the 18.16 cluster. No Kafka: bronze, silver
// and quarantine are seeded by the engine's pipeline and table sinks under a wrong rule, then the
// fixed topology is reprocessed (cut short once, then twice to the end).
import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { clusterEnv } from '../../scripts/chaos/cluster.ts'
import type { ClickHouse } from '../../src/clickhouse/client.ts'
import type { TributaryConfig } from '../../src/config/config.ts'
import { buildPipeline } from '../../src/pipeline/pipeline.ts'
import { partitionKey } from '../../src/records/partition.ts'
import type { Envelope, KafkaRecord } from '../../src/records/record.ts'
import type { Rejection } from '../../src/records/rejection.ts'
import { type ReprocessOptions, type ReprocessSummary, reprocess } from '../../src/reprocess/reprocess.ts'
import { syncReplicas } from '../../src/reprocess/sync-replicas.ts'
import { clients } from '../../src/runtime/clients.ts'
import { ensureTables } from '../../src/runtime/wiring.ts'
import { defineSchema } from '../../src/schema/types.ts'
import { bindFormat } from '../../src/serde/bind.ts'
import { json } from '../../src/serde/format.ts'
import { memoryRegistry } from '../../src/serde/registry.ts'
import { MemorySink } from '../../src/sinks/memory-sink.ts'
import { bronzeRows, rejectionRows, silverEncoder } from '../../src/sinks/rows.ts'
import { type RowWriter, TableSink } from '../../src/sinks/table-sink.ts'
import { PartitionStates } from '../../src/state/partition-states.ts'
import { defineTopology, type Topology } from '../../src/topology/define.ts'
import { tableNames } from '../../src/topology/table-names.ts'
import { range } from '../../src/validation/rules.ts'
import { count as countOf, sum } from '../../src/windows/aggregations.ts'
import { tumbling } from '../../src/windows/window-spec.ts'
import { ENGINES, uniqueSuffix } from '../clickhouse/engines.ts'
import { count, quietLogger, testConfig } from '../support/engine.ts'
import { clusterModeSkip } from '../support/stack.ts'

const schema = defineSchema({
  type: 'record',
  name: 'Reading',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'site', type: 'string' },
    { name: 'temperature', type: 'double' },
    { name: 'event_time', type: 'long' },
  ],
})

function topology(entity: string, maxTemperature: number): Topology {
  return defineTopology(
    { name: entity, source: { topics: [`${entity}-in`], format: json(schema) } },
    {
      eventTime: (r) => r.event_time,
      rules: { fields: { temperature: [range({ max: maxTemperature })] } },
      gold: [
        {
          name: `${entity}_per_site`,
          window: tumbling({ size: '1m' }),
          groupBy: { site: (r) => r.site },
          aggregate: { readings: countOf(), temperature: sum((r) => r.temperature) },
        },
      ],
    },
  ) as unknown as Topology
}

const T0 = Date.UTC(2026, 10, 30, 6, 0, 0)
const PER_PARTITION = 30

/** 30 readings per partition, 15 to 34 degrees; the last of each partition not JSON. */
function records(topic: string): KafkaRecord[] {
  return [0, 1].flatMap((partition) =>
    Array.from({ length: PER_PARTITION }, (_, i) => {
      const id = `${partition}-${i}`
      const value =
        i === PER_PARTITION - 1
          ? '{not json'
          : JSON.stringify({
              id,
              site: ['a', 'b', 'c'][i % 3],
              temperature: 15 + (i % 20),
              event_time: T0 + i * 7000,
            })
      return {
        topic,
        partition,
        offset: String(i),
        timestamp: T0 + i * 7000,
        key: Buffer.from(id),
        value: Buffer.from(value),
        headers: { source: `p${partition}` },
      }
    }),
  )
}

/** What the engine would have written under `t`: bronze, silver, quarantine, one block per partition. */
async function seed(t: Topology, ch: ClickHouse, input: readonly KafkaRecord[]): Promise<void> {
  const features = await ch.features()
  const writer: RowWriter = {
    insertRaw: (table, body, _rows, format, token, partition) =>
      ch.insertRaw(table, body, format, token, partition),
  }
  const bronze = new TableSink<KafkaRecord>({
    table: t.tables.bronze!,
    writer,
    encoder: bronzeRows,
    partitionOf: (r) => r,
  })
  const silver = t.tables.silver
    ? new TableSink<Envelope<object>>({
        table: t.tables.silver,
        writer,
        encoder: silverEncoder({ format: { schema } }, features),
        partitionOf: (e) => e.source,
      })
    : undefined
  const quarantine = new TableSink<Rejection>({
    table: t.tables.quarantine,
    writer,
    encoder: rejectionRows,
    partitionOf: (r) => r.source,
  })
  const states = new PartitionStates()
  for (const p of [0, 1])
    states.set(input[0]!.topic, p, { offset: null, dedup: new Map(), kv: new Map(), meta: {} })
  const pipeline = buildPipeline(
    t,
    bindFormat(t.definition.source.format, memoryRegistry()),
    {
      bronze,
      ...(silver ? { silver } : {}),
      rejects: quarantine,
      gold: new Map((t.definition.gold ?? []).map((g) => [g.name, new MemorySink('gold')])),
      late: new MemorySink('late'),
    },
    { partitions: states, clock: () => T0 },
  )
  pipeline.push(input)
  const blocks = new Map(
    [0, 1].map((p) => [
      partitionKey(input[0]!.topic, p),
      { id: `1:0-${PER_PARTITION - 1}`, to: String(PER_PARTITION - 1) },
    ]),
  )
  for (const s of [bronze, silver, quarantine]) await s?.flush(blocks)
}

/** On a cluster, reads right after writes may pick a replica that has not fetched them yet. */
/**
 * A run killed at its first insert into `killAt` (a crash mid-run), then the same run twice to the
 * end: what exactly once has to survive.
 */
async function killedThenTwice(
  ch: ClickHouse,
  base: Omit<ReprocessOptions, 'writer'>,
  killAt: string,
): Promise<{ first: ReprocessSummary; second: ReprocessSummary }> {
  const writer: RowWriter = {
    insertRaw: (table, body, _rows, format, token, partition) =>
      ch.insertRaw(table, body, format, token, partition),
  }
  const options = { ...base, writer }
  await assert.rejects(
    reprocess({
      ...options,
      writer: {
        insertRaw: async (table, ...rest) => {
          if (table === killAt) throw new Error(`killed before ${killAt}`)
          return writer.insertRaw(table, ...rest)
        },
      },
    }),
    new RegExp(`killed before ${killAt}`),
  )
  return { first: await reprocess(options), second: await reprocess(options) }
}

function settled(config: TributaryConfig, t: Topology): Promise<void> {
  const partials = tableNames.goldPartials(t.definition.gold![0]!.name)
  const tables = [t.tables.bronze!, t.tables.silver!, t.tables.quarantine, partials]
  return syncReplicas(config, [...tables, tableNames.quarantineResolved(t.entity)], quietLogger())
}

interface Target {
  readonly label: string
  readonly skip: false | string
  readonly config: () => TributaryConfig
  readonly open: (config: TributaryConfig) => Promise<ClickHouse>
}

const TARGETS: Target[] = [
  ...ENGINES.map((e) => ({
    label: e.label,
    skip: false as const,
    config: () => testConfig(),
    open: () => e.open(),
  })),
  {
    label: 'ClickHouse 18.16 cluster',
    skip: clusterModeSkip,
    config: () => testConfig(clusterEnv()),
    open: (config: TributaryConfig) => clients.clickhouse(config),
  },
]

for (const target of TARGETS) {
  describe(`reprocess on ${target.label}`, { skip: target.skip }, () => {
    // Tables are named per run and left, as the engine tests leave theirs: dropping them races
    // other test files reading system.tables on 18.16 (a view outliving its table for a moment).
    let ch: ClickHouse | undefined
    after(() => ch?.close())

    it('resolves each wrongly quarantined record once: silver, gold and the open view exact after a cut-short run and two more', async () => {
      const config = target.config()
      ch = await target.open(config)
      const entity = `rp_${uniqueSuffix()}`
      const wrong = topology(entity, 25)
      const fixed = topology(entity, 90)
      const features = await ch.features()
      await ensureTables(wrong, ch, features, config, quietLogger())
      const t = fixed.tables
      const partials = tableNames.goldPartials(fixed.definition.gold![0]!.name)
      const resolved = tableNames.quarantineResolved(entity)
      const open = tableNames.quarantineOpen(entity)
      const input = records(wrong.definition.source.topics[0]!)
      await seed(wrong, ch, input)
      await settled(config, fixed)
      // Per partition: 29 readings, 9 of them above 25 degrees, and one record that is not JSON.
      assert.deepEqual(
        [
          await count(ch, t.bronze!, '1', false),
          await count(ch, t.silver!, '1', false),
          await count(ch, open, '1', false),
        ],
        [60, 40, 20],
      )
      const { first, second } = await killedThenTwice(
        ch,
        {
          topology: fixed,
          config,
          clickhouse: ch,
          registry: memoryRegistry(),
          logger: quietLogger(),
          from: { kind: 'quarantine' },
          rulesVersion: 'max-90',
          chunkOffsets: 16,
        },
        t.silver!,
      )
      await settled(config, fixed)
      assert.equal(first.toSilver, 18)
      assert.deepEqual(first.stillRejected, { JSON_PARSE_FAILED: 2 })
      assert.equal(second.toSilver + second.resolved, 0)
      assert.deepEqual(second.accounting, {
        bronze: 60,
        silver: 58,
        openQuarantine: 2,
        resolvedDuplicates: 0,
      })
      assert.equal(await count(ch, t.silver!, '1', false), 58)
      assert.equal(await count(ch, t.silver!, '1', true), 58)
      assert.equal(await count(ch, resolved, `outcome = 'silver' AND rules_version = 'max-90'`, false), 18)
      assert.equal(await count(ch, open, '1', false), 2)
      // bronze = silver + open quarantine
      assert.equal(await count(ch, t.bronze!, '1', false), 58 + 2)
      // Gold holds the reprocessed records once: partial rows not repeated, their counts 18 in all.
      assert.equal(
        await count(ch, partials, `_topic LIKE '%#reprocess:%'`, false),
        await count(ch, partials, `_topic LIKE '%#reprocess:%'`, true),
      )
      const [g] = await ch.query<{ n: string; total: number }>(
        `SELECT toString(sum(readings)) AS n, sum(temperature) AS total FROM ${t.gold[0]}`,
      )
      const [s] = await ch.query<{ total: number }>(
        `SELECT sum(temperature) AS total FROM ${t.silver} WHERE temperature > 25`,
      )
      assert.equal(Number(g!.n), 18)
      assert.equal(g!.total, s!.total)
    })

    it('from bronze: a topology that ran bronze-only gets silver, gold and quarantine once, after a cut-short run and two more', async () => {
      const config = target.config()
      ch ??= await target.open(config)
      const entity = `rp_${uniqueSuffix()}`
      const landing = defineTopology({
        name: entity,
        source: { topics: [`${entity}-in`], format: json(schema) },
        layers: { silver: false },
      }) as unknown as Topology
      const fixed = topology(entity, 90)
      await ensureTables(landing, ch, await ch.features(), config, quietLogger())
      const t = fixed.tables
      const partials = tableNames.goldPartials(fixed.definition.gold![0]!.name)
      await seed(landing, ch, records(landing.definition.source.topics[0]!))
      const { first, second } = await killedThenTwice(
        ch,
        {
          topology: fixed,
          config,
          clickhouse: ch,
          registry: memoryRegistry(),
          logger: quietLogger(),
          from: { kind: 'bronze', since: T0 },
          rulesVersion: 'with-silver',
          chunkOffsets: 16,
        },
        t.quarantine,
      )
      await settled(config, fixed)
      assert.equal(first.newlyQuarantined, 2)
      assert.deepEqual([second.toSilver, second.newlyQuarantined, second.read], [0, 0, 2])
      assert.deepEqual(
        [
          await count(ch, t.bronze!, '1', false),
          await count(ch, t.silver!, '1', false),
          await count(ch, t.quarantine, '1', false),
          await count(ch, tableNames.quarantineOpen(entity), '1', false),
        ],
        [60, 58, 2, 2],
      )
      assert.equal(await count(ch, partials, '1', false), await count(ch, partials, '1', true))
      const [g] = await ch.query<{ n: string }>(`SELECT toString(sum(readings)) AS n FROM ${t.gold[0]}`)
      assert.equal(Number(g!.n), 58)
    })
  })
}
