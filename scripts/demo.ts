/**
 * The quickstart demo: produce generated events (some invalid) for both example topologies, run
 * them until caught up, then print bronze/silver/quarantine counts, sample rows and the engine's
 * own /metrics counters. Needs the stack (`npm run stack:up`, which `npm run demo` does first).
 */

import { produceGenerated } from '../src/cli/commands/produce.ts'
import { CliContext } from '../src/cli/context.ts'
import { loadTopologies } from '../src/cli/topologies.ts'
import { Engine, loadConfig } from '../src/index.ts'
import { createLogger } from '../src/observability/logger.ts'

const N = Number(process.env.DEMO_EVENTS ?? 10_000)
const config = loadConfig()
const ctx = new CliContext(config)
const ch = await ctx.clickhouse()
const topologies = [...(await loadTopologies()).values()]

const countOf = async (table: string) => {
  const rows = await ch
    .query<{ c: string }>(`SELECT count() AS c FROM ${table} FINAL`)
    .catch(() => [{ c: '0' }])
  return Number(rows[0]?.c ?? 0)
}

const before = new Map<string, number>()
for (const t of topologies) {
  before.set(t.name, await countOf(t.tables.bronze!))
  const summary = await produceGenerated(ctx, t, t.definition.source.topics[0]!, N, 0.05, {
    from: before.get(t.name)!,
  })
  const invalid = Object.values(summary.invalid).reduce((a, b) => a + b, 0)
  const tombstones = summary.tombstones > 0 ? `, ${summary.tombstones} tombstones` : ''
  console.log(
    `produced to ${summary.topic}: ${summary.produced} events, ${invalid} of them invalid${tombstones}`,
  )
}

const engine = new Engine({ config, topologies, logger: createLogger({ level: 'warn' }) })
await engine.start()
const deadline = Date.now() + 120_000
for (const t of topologies) {
  while ((await countOf(t.tables.bronze!)) < before.get(t.name)! + N) {
    if (Date.now() > deadline) throw new Error(`${t.name} did not catch up within 120 s`)
    await new Promise((r) => setTimeout(r, 250))
  }
}
const metrics = await (await fetch(`http://${config.metrics.host}:${engine.httpPort}/metrics`)).text()
await engine.stop()

for (const t of topologies) {
  const [b, s, q] = [
    await countOf(t.tables.bronze!),
    await countOf(t.tables.silver!),
    await countOf(t.tables.quarantine),
  ]
  if (t.tables.current) {
    // Silver keeps one row per key, so the changes it took are read from the processing log.
    const [c] = await ch.query<{ n: string }>(
      `SELECT sum(records_out) AS n FROM tributary_processing_log WHERE topology = '${t.name}' AND layer = 'silver'`,
    )
    const plain = async (sql: string) => Number((await ch.query<{ n: string }>(sql))[0]?.n ?? 0)
    const x = await plain(
      `SELECT count() AS n FROM ${t.tables.bronze} FINAL WHERE _value_encoding = 'tombstone'`,
    )
    const live = await plain(`SELECT count() AS n FROM ${t.tables.current}`)
    const changes = Number(c?.n ?? 0)
    console.log(
      `\n== ${t.name}: bronze ${b} = changes ${changes} + quarantine ${q} + tombstones ${x} ${b === changes + q + x ? '(accounted for)' : '(MISMATCH)'}; ${live} current rows in ${t.tables.current}`,
    )
  } else
    console.log(
      `\n== ${t.name}: bronze ${b} = silver ${s} + quarantine ${q} ${b === s + q ? '(accounted for)' : '(MISMATCH)'}`,
    )
  const sample = await ch.query(`SELECT * FROM ${t.tables.silver} ORDER BY _offset DESC LIMIT 2`)
  console.log('silver sample:', JSON.stringify(sample, null, 1))
  const reasons = await ch.query(
    `SELECT stage, substring(reason, 1, position(reason, ':') - 1) AS code, any(substring(reason, 1, 80)) AS example, count() AS n FROM ${t.tables.quarantine} FINAL GROUP BY stage, code ORDER BY n DESC`,
  )
  console.table(reasons)
}
console.log('\n/metrics (tributary_records_total, tributary_dead_letters_total, tributary_quality_score):')
for (const line of metrics.split('\n')) {
  if (/^tributary_(records_total|dead_letters_total|quality_score)\{/.test(line)) console.log(`  ${line}`)
}
await ctx.close()
