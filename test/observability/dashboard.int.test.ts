// Real services: Kafka, Schema Registry, Redis, ClickHouse 18.16 and the stack's Prometheus (2.42,
// from Debian), which scrapes the engine run here. No Grafana server is reachable: the dashboard is
// exercised through its queries, each evaluated by Prometheus as Grafana would send it.
import assert from 'node:assert/strict'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'
import { produceGenerated } from '../../src/cli/commands/produce.ts'
import { Engine } from '../../src/runtime/engine.ts'
import { waitFor } from '../../src/testing/wait.ts'
import orders from '../../topologies/orders.ts'
import { count, createTopic, isolated, quietLogger, testConfig, testContext } from '../support/engine.ts'
import { stackEndpoints, until } from '../support/stack.ts'

const ROOT = path.resolve(import.meta.dirname, '../..')
const DASHBOARD = path.join(ROOT, 'compose/grafana/dashboards/tributary.json')
// scripts/stack/up.sh has Prometheus scrape every 2 s: a 30 s range holds enough samples for rate().
const RATE_INTERVAL = '30s'

interface Panel {
  title?: string
  panels?: Panel[]
  targets?: { expr?: string }[]
}

function panelQueries(panels: Panel[]): { title: string; expr: string }[] {
  return panels.flatMap((p) => [
    ...(p.targets ?? []).flatMap((t) => (t.expr ? [{ title: p.title ?? '?', expr: t.expr }] : [])),
    ...panelQueries(p.panels ?? []),
  ])
}

async function instant(prometheusUrl: string, query: string): Promise<unknown[]> {
  const res = await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(query)}`)
  const body = (await res.json()) as { status: string; error?: string; data?: { result: unknown[] } }
  if (body.status !== 'success') throw new Error(`Prometheus refused ${query}: ${body.error}`)
  return body.data!.result
}

test('every Grafana dashboard query returns series from Prometheus scraping a running engine', async () => {
  const { prometheusUrl } = await stackEndpoints()
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: Panel[] }
  const queries = panelQueries(dashboard.panels)
  assert.ok(queries.length >= 10, `the dashboard's panel queries (${queries.length})`)

  const config = testConfig()
  const ctx = testContext(config)
  const t = isolated(orders)
  const topic = t.definition.source.topics[0]!
  await createTopic(config, topic, 2)
  const summary = await produceGenerated(ctx, t, topic, 2000, 0.05, { duplicateRatio: 0.02 })

  const engine = new Engine({ config, topologies: [t], logger: quietLogger() })
  // The stack's Prometheus reads scrape targets from files here (file_sd): this engine, for this test.
  const stackDir = process.env.TRIBUTARY_STACK_DIR ?? path.join(ROOT, '.stack')
  const targets = path.join(stackDir, 'prometheus', 'targets')
  const targetFile = path.join(targets, `${t.name}.json`)
  try {
    await engine.start()
    mkdirSync(targets, { recursive: true })
    writeFileSync(
      targetFile,
      JSON.stringify([{ targets: [`127.0.0.1:${engine.httpPort}`], labels: { test_run: t.name } }]),
    )
    const ch = await ctx.clickhouse()
    await waitFor(
      'every record in bronze',
      () => count(ch, t.tables.bronze!),
      (b) => b === summary.produced,
    )
    await until(
      `Prometheus scraping the engine (${targetFile})`,
      async () =>
        (await instant(prometheusUrl, `up{test_run="${t.name}"} == 1`)).length > 0 ? true : undefined,
      60_000,
    )

    // As Grafana sends them: the topology variable set to this run's topology.
    const variable = await until('the dashboard variable to list the topology', async () => {
      const res = await fetch(`${prometheusUrl}/api/v1/label/topology/values?match[]=tributary_records_total`)
      const values = ((await res.json()) as { data: string[] }).data
      return values.includes(t.name) ? values : undefined
    })
    assert.ok(variable.includes(t.name))
    const resolved = queries.map(({ title, expr }) => ({
      title,
      expr: expr.replaceAll('$topology', t.name).replaceAll('$__rate_interval', RATE_INTERVAL),
    }))
    const empty = async () => {
      const none: string[] = []
      for (const q of resolved) {
        const series = await instant(prometheusUrl, q.expr).catch((err: Error) => err)
        if (series instanceof Error) none.push(`${q.title}: ${q.expr} (${series.message})`)
        else if (series.length === 0) none.push(`${q.title}: ${q.expr}`)
      }
      return none
    }
    // rate() needs two scrapes of a series inside its range: wait for them, then require every query.
    let lastEmpty: string[] = []
    await until(
      'every panel query to return series',
      async () => {
        lastEmpty = await empty()
        return lastEmpty.length === 0 ? true : undefined
      },
      60_000,
    ).catch(() => {})
    assert.deepEqual(lastEmpty, [], 'panel queries that returned no series')
  } finally {
    rmSync(targetFile, { force: true })
    await engine.stop()
    await ctx.close()
  }
})
