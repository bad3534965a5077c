// Real services: Kafka, Schema Registry (Apicurio), ClickHouse 18.16 server. Runs the engine in process.
import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { INVALID_KINDS, invalidKindAt, produceGenerated } from '../../src/cli/commands/produce.ts'
import { Engine } from '../../src/runtime/engine.ts'
import { waitFor } from '../../src/testing/wait.ts'
import type { Topology } from '../../src/topology/define.ts'
import orders from '../../topologies/orders.ts'
import sensors from '../../topologies/sensor-readings.ts'
import {
  count,
  createTopic,
  isolated,
  quietLogger,
  readTopic,
  testConfig,
  testContext,
} from '../support/engine.ts'

const config = testConfig()
const ctx = testContext(config)
after(() => ctx.close())

const EXPECTED_CODE: Record<string, Record<(typeof INVALID_KINDS)[number], string>> = {
  avro: {
    garbage: 'BAD_WIRE_FORMAT',
    empty: 'EMPTY_PAYLOAD',
    'unknown-schema': 'UNKNOWN_SCHEMA_ID',
    'missing-field': 'AVRO_DECODE_FAILED',
    'wrong-type': 'AVRO_DECODE_FAILED',
    rule: 'RULES_FAILED',
    oversized: 'OVERSIZED_PAYLOAD',
  },
  json: {
    // The generated garbage holds a 0xff byte: not UTF-8, so it is refused before parsing.
    garbage: 'INVALID_UTF8',
    empty: 'EMPTY_PAYLOAD',
    'unknown-schema': 'JSON_PARSE_FAILED',
    'missing-field': 'RULES_FAILED',
    'wrong-type': 'RULES_FAILED',
    rule: 'RULES_FAILED',
    oversized: 'OVERSIZED_PAYLOAD',
  },
}

for (const base of [orders, sensors] as Topology[]) {
  test(`${base.name}: bronze = produced = silver + quarantine + duplicates, silver = the valid input, every bad input in DLQ and quarantine with its reason`, async () => {
    const t = isolated(base)
    const topic = t.definition.source.topics[0]!
    const n = 3000
    const ratio = 0.05
    await createTopic(config, topic, 3)
    const summary = await produceGenerated(ctx, t, topic, n, ratio, { duplicateRatio: 0.02 })
    const invalid = Object.values(summary.invalid).reduce((a, b) => a + b, 0)
    assert.equal(summary.valid + invalid, n)
    assert.ok(summary.duplicates > 0)
    const produced = summary.produced

    const engine = new Engine({ config, topologies: [t], logger: quietLogger() })
    await engine.start()
    const ch = await ctx.clickhouse()
    try {
      await waitFor(
        'every record in bronze, and in silver or quarantine unless a duplicate',
        async () => [
          await count(ch, t.tables.bronze!),
          await count(ch, t.tables.silver!),
          await count(ch, t.tables.quarantine),
        ],
        ([b, s, q]) => b === produced && s! + q! + summary.duplicates === produced,
      )
      assert.equal(await count(ch, t.tables.silver!), summary.valid)
      assert.equal(await count(ch, t.tables.quarantine), invalid)

      // Silver holds exactly the valid input, by id.
      const idField = t.definition.source.format.schema.fields[0]!.name
      const rows = await ch.query<{ id: string }>(`SELECT ${idField} AS id FROM ${t.tables.silver} FINAL`)
      const expected: string[] = []
      for (let i = 0; i < n; i++) {
        if (invalidKindAt(i, ratio) === null)
          expected.push(String((t.definition.examples!.valid(i) as Record<string, unknown>)[idField]))
      }
      assert.deepEqual(rows.map((r) => r.id).sort(), expected.sort())

      // Each class of bad input lands in quarantine with its reason code.
      const codes = await ch.query<{ code: string; c: string }>(
        `SELECT substring(reason, 1, position(reason, ':') - 1) AS code, count() AS c FROM ${t.tables.quarantine} FINAL GROUP BY code`,
      )
      const want = new Map<string, number>()
      for (const kind of INVALID_KINDS) {
        const code = EXPECTED_CODE[t.definition.source.format.kind]![kind]
        want.set(code, (want.get(code) ?? 0) + summary.invalid[kind])
      }
      assert.deepEqual(new Map(codes.map((r) => [r.code, Number(r.c)])), want)

      // ... and in the dead-letter topic with the original bytes' lineage in its headers.
      const dlq = await readTopic(config, t.deadLetterTopic, invalid)
      assert.equal(dlq.length, invalid)
      for (const m of dlq) {
        assert.equal(m.headers['tributary.source.topic'], topic)
        assert.match(m.headers['tributary.source.offset'] ?? '', /^\d+$/)
        assert.ok(want.has(m.headers['tributary.reason.code'] ?? ''), m.headers['tributary.reason.code'])
      }

      // The processing log accounts for every bronze row, and metrics saw them. An epoch's log row is
      // written after its state and offsets, so it may trail the tables: wait for it.
      await waitFor(
        'the processing log to account for every bronze row',
        async () => {
          const [log] = await ch.query<{ out: string }>(
            `SELECT sum(records_out) AS out FROM tributary_processing_log WHERE topology = '${t.name}' AND layer = 'bronze'`,
          )
          return Number(log?.out)
        },
        (out) => out === produced,
      )
      const text = await engine.metrics.text()
      assert.match(
        text,
        new RegExp(
          `tributary_records_total\\{[^}]*topology="${t.name}"[^}]*outcome="in"[^}]*\\} ${produced}`,
        ),
      )
      assert.match(
        text,
        new RegExp(
          `tributary_records_total\\{[^}]*topology="${t.name}"[^}]*outcome="duplicate"[^}]*\\} ${summary.duplicates}`,
        ),
      )
      // State metrics: every gold reports its open windows; checkpoints and watermarks are measured.
      for (const g of t.definition.gold ?? []) {
        assert.match(text, new RegExp(`tributary_open_windows\\{[^}]*window="${g.name}"[^}]*\\} \\d+`))
      }
      assert.match(
        text,
        new RegExp(`tributary_checkpoint_duration_seconds_count\\{topology="${t.name}"\\} [1-9]`),
      )
      assert.match(
        text,
        new RegExp(`tributary_watermark_lag_seconds\\{topology="${t.name}",partition="\\d+"\\} \\d`),
      )
    } finally {
      await engine.stop()
    }
  })
}
