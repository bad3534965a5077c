// Real services: Kafka, Registry, Redis, ClickHouse 18.16 server (issue 17, part 2). Records are
// quarantined under a wrong rule, the rule is fixed, and `reprocess` runs: cut short once after its
// first chunk's silver and gold landed, then to the end, then again. Each record is in silver and
// gold once, the quarantine rows it resolved are marked, and bronze = silver + open quarantine.
import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { produceGenerated, sendAll } from '../../src/cli/commands/produce.ts'
import type { ClickHouse } from '../../src/clickhouse/client.ts'
import { reprocess } from '../../src/reprocess/reprocess.ts'
import { Engine } from '../../src/runtime/engine.ts'
import type { RowWriter } from '../../src/sinks/table-sink.ts'
import { waitFor } from '../../src/testing/wait.ts'
import { defineTopology, type Topology } from '../../src/topology/define.ts'
import { tableNames } from '../../src/topology/table-names.ts'
import { range, required } from '../../src/validation/rules.ts'
import { count as countOf, sum } from '../../src/windows/aggregations.ts'
import { tumbling } from '../../src/windows/window-spec.ts'
import sensors from '../../topologies/sensor-readings.ts'
import { count, createTopic, isolated, quietLogger, testConfig, testContext } from '../support/engine.ts'

const config = testConfig()
const ctx = testContext(config)
after(() => ctx.close())

type Reading = { sensor_id: string; temperature: number; humidity: number | null; site: string }

/** The sensor topology with one gold a reprocess feeds, and the rules it is given. */
function withRules(base: Topology, maxTemperature: number): Topology {
  const def = base.definition
  return defineTopology(
    { ...def, name: base.name, entity: base.entity } as never,
    {
      // Windows close a second after the topic goes quiet, so the live gold is complete in time.
      watermark: { outOfOrderness: '30s', idleTimeout: '1s' },
      gold: [
        {
          name: `${base.entity}_per_site_1m`,
          window: tumbling({ size: '1m' }),
          groupBy: { site: (r: Reading) => r.site },
          aggregate: { readings: countOf(), temperature: sum((r: Reading) => r.temperature) },
        },
      ],
      rules: {
        fields: {
          sensor_id: [required()],
          temperature: [range({ min: -60, max: maxTemperature })],
          humidity: [range({ min: 0, max: 100 })],
        },
      },
    } as never,
  ) as Topology
}

async function scalar(ch: ClickHouse, sql: string): Promise<number> {
  const [row] = await ch.query<{ v: string | number }>(sql)
  return Number(row?.v ?? 0)
}

test('fix a wrong rule, reprocess (cut short once, then twice to the end): every record once in silver and gold, quarantine resolved, accounting exact', async () => {
  const base = isolated(sensors as Topology, 'reprocess')
  // Readings run from 15 to 34.9 degrees: a maximum of 25 quarantines about half the valid ones.
  const wrong = withRules(base, 25)
  const fixed = withRules(base, 90)
  const topic = wrong.definition.source.topics[0]!
  await createTopic(config, topic, 2)
  const generated = await produceGenerated(ctx, wrong, topic, 400, 0.05, { duplicateRatio: 0 })
  // Windows close on event time: a reading five minutes ahead on each partition closes the rest
  // (its own window, at site 'closer', stays open and is left out of the gold checks).
  const ahead = Date.now() + 5 * 60_000
  await sendAll(
    ctx,
    topic,
    [0, 1].map((partition) => ({
      partition,
      key: `closer-${partition}`,
      value: JSON.stringify({
        reading_id: `closer-${partition}`,
        sensor_id: 'closer',
        temperature: 20,
        humidity: null,
        site: 'closer',
        event_time: ahead,
      }),
    })),
  )
  const produced = { produced: generated.produced + 2, valid: generated.valid + 2 }
  const ch = await ctx.clickhouse()
  const t = fixed.tables
  const gold = t.gold[0]!
  const partials = tableNames.goldPartials(fixed.definition.gold![0]!.name)
  const resolved = tableNames.quarantineResolved(fixed.entity)
  const open = tableNames.quarantineOpen(fixed.entity)

  const engine = new Engine({ config, topologies: [wrong], logger: quietLogger() })
  await engine.start()
  let silverBefore: number
  let quarantinedBefore: number
  try {
    ;[silverBefore, quarantinedBefore] = await waitFor(
      'bronze = produced = silver + quarantine, the live gold complete',
      async () => [
        await count(ch, t.bronze!, '1', false),
        await count(ch, t.silver!, '1', false),
        await count(ch, t.quarantine, '1', false),
        await scalar(ch, `SELECT sum(readings) AS v FROM ${gold}`),
      ],
      ([b, s, q, g]) => b === produced.produced && s! + q! === b && g === s! - 2,
      { timeoutMs: 90_000 },
    ).then(([, s, q]) => [s!, q!])
  } finally {
    await engine.stop()
  }
  const invalid = produced.produced - produced.valid
  assert.ok(quarantinedBefore > invalid + 50, `the wrong rule quarantined ${quarantinedBefore} records`)
  assert.equal(await count(ch, open, '1', false), quarantinedBefore)

  // Runs cut short: writes fail from a given table on, as if the process died there.
  const landing: RowWriter = {
    insertRaw: (table, body, _rows, format, token, partition) =>
      ch.insertRaw(table, body, format, token, partition),
  }
  const dyingAt = (target: string): RowWriter => ({
    insertRaw: async (table, ...rest) => {
      if (table === target) throw new Error(`killed before writing ${target}`)
      return landing.insertRaw(table, ...rest)
    },
  })
  const options = {
    topology: fixed,
    config,
    clickhouse: ch,
    registry: ctx.registry(),
    logger: quietLogger(),
    from: { kind: 'quarantine' } as const,
    rulesVersion: 'max-90',
    chunkOffsets: 40,
    writer: landing,
  }
  // The first chunk's gold and silver land, its resolutions do not.
  await assert.rejects(reprocess({ ...options, writer: dyingAt(resolved) }), /killed before writing/)
  assert.ok((await count(ch, t.silver!, '1', false)) > silverBefore, 'the cut-short run landed rows')
  assert.equal(await count(ch, resolved, '1', false), 0)
  // The first chunk is resolved (found in silver); the second one's gold lands, its silver does not.
  await assert.rejects(reprocess({ ...options, writer: dyingAt(t.silver!) }), /killed before writing/)
  // (found in silver, the first chunk gets its resolutions only)
  const resolvedByCut = await count(ch, resolved, '1', false)
  assert.ok(resolvedByCut > 0, 'the second cut-short run resolved the first chunk')

  const first = await reprocess(options)
  const second = await reprocess(options)

  const reprocessed = quarantinedBefore - invalid
  assert.equal(first.toSilver, reprocessed - resolvedByCut)
  assert.equal(first.alreadyInSilver, 0)
  assert.equal(first.resolved, reprocessed - resolvedByCut)
  assert.equal(first.duplicates, 0)
  assert.equal(
    Object.values(first.stillRejected).reduce((a, b) => a + b, 0),
    invalid,
  )
  assert.deepEqual(
    {
      toSilver: second.toSilver,
      alreadyInSilver: second.alreadyInSilver,
      resolved: second.resolved,
      read: second.read,
    },
    { toSilver: 0, alreadyInSilver: 0, resolved: 0, read: invalid },
  )

  assert.deepEqual(second.accounting, {
    bronze: produced.produced,
    silver: produced.valid,
    openQuarantine: invalid,
    resolvedDuplicates: 0,
  })
  // Silver: every valid record once, by plain count and by lineage.
  assert.equal(await count(ch, t.silver!, '1', false), produced.valid)
  assert.equal(
    await scalar(ch, `SELECT uniqExact(_topic, _partition, _offset) AS v FROM ${t.silver}`),
    produced.valid,
  )
  // Quarantine: rows are kept; the resolved ones are marked once each, by this run and rules version.
  assert.equal(await count(ch, t.quarantine, '1', false), quarantinedBefore)
  assert.equal(await count(ch, resolved, '1', false), reprocessed)
  assert.equal(
    await scalar(ch, `SELECT uniqExact(_topic, _partition, _offset) AS v FROM ${resolved}`),
    reprocessed,
  )
  assert.equal(
    await count(ch, resolved, `outcome = 'silver' AND rules_version = 'max-90'`, false),
    reprocessed,
  )
  assert.equal(
    await count(
      ch,
      t.silver!,
      `(_topic, _partition, _offset) IN (SELECT _topic, _partition, _offset FROM ${resolved})`,
      false,
    ),
    reprocessed,
  )
  assert.equal(await count(ch, open, '1', false), invalid)
  // Accounting: produced = bronze = silver + open quarantine (+ no duplicates produced).
  assert.equal(await count(ch, t.bronze!, '1', false), produced.produced)
  assert.equal(produced.valid + invalid, produced.produced)

  // Gold: the reprocessed records once (no partial row written twice), the view complete.
  assert.equal(
    await count(ch, partials, `_topic LIKE '%#reprocess:%'`, false),
    await count(ch, partials, `_topic LIKE '%#reprocess:%'`, true),
  )
  assert.equal(
    await scalar(ch, `SELECT sum(readings__p) AS v FROM ${partials} FINAL WHERE _topic LIKE '%#reprocess:%'`),
    reprocessed,
  )
  assert.equal(await scalar(ch, `SELECT sum(readings) AS v FROM ${gold}`), produced.valid - 2)
  const silverTemperature = await scalar(
    ch,
    `SELECT round(sum(temperature), 3) AS v FROM ${t.silver} WHERE site != 'closer'`,
  )
  assert.equal(await scalar(ch, `SELECT round(sum(temperature), 3) AS v FROM ${gold}`), silverTemperature)
})
