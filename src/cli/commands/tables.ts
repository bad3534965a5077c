import { parseArgs } from 'node:util'
import { quoteTable } from '../../clickhouse/identifiers.ts'
import type { Command } from '../context.ts'

const LAYERS = ['bronze', 'silver', 'gold', 'quarantine', 'late']

export const tables: Command = {
  name: 'tables',
  summary: "list Tributary's tables with row counts",
  usage: `tributary tables [--layer ${LAYERS.join('|')}]`,
  async run(args, ctx) {
    const { values } = parseArgs({ args, options: { layer: { type: 'string' } } })
    if (values.layer !== undefined && !LAYERS.includes(values.layer))
      throw new Error(`--layer must be one of ${LAYERS.join(', ')}`)
    const prefixes = values.layer ? [values.layer] : [...LAYERS, 'tributary']
    const ch = await ctx.clickhouse()
    const rows = await ch.query<{ name: string; total_rows: string | null }>(
      `SELECT table AS name, toString(sum(rows)) AS total_rows FROM system.parts WHERE active AND database = currentDatabase() GROUP BY table`,
    )
    const all = await ch.query<{ name: string; engine: string }>(
      'SELECT name, engine FROM system.tables WHERE database = currentDatabase() ORDER BY name',
    )
    const counts = new Map(rows.map((r) => [r.name, r.total_rows ?? '0']))
    for (const { name, engine } of all) {
      if (!prefixes.some((p) => name.startsWith(`${p}_`))) continue
      // A view (gold_<name>, merging partial rows) has no parts of its own: count what it shows.
      const count =
        engine === 'View'
          ? ((await ch.query<{ c: string }>(`SELECT toString(count()) AS c FROM ${quoteTable(name)}`))[0]
              ?.c ?? '0')
          : (counts.get(name) ?? '0')
      console.log(`${name}\t${count} rows`)
    }
    return 0
  },
}
