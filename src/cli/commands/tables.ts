import { parseArgs } from 'node:util'
import type { Command } from '../context.ts'

export const tables: Command = {
  name: 'tables',
  summary: "list Tributary's tables with row counts",
  usage: 'tributary tables [--layer bronze|silver|gold|quarantine]',
  async run(args, ctx) {
    const { values } = parseArgs({ args, options: { layer: { type: 'string' } } })
    const layers = ['bronze', 'silver', 'gold', 'quarantine']
    if (values.layer !== undefined && !layers.includes(values.layer))
      throw new Error(`--layer must be one of ${layers.join(', ')}`)
    const prefixes = values.layer ? [values.layer] : [...layers, 'tributary']
    const ch = await ctx.clickhouse()
    const rows = await ch.query<{ name: string; total_rows: string | null }>(
      `SELECT table AS name, toString(sum(rows)) AS total_rows FROM system.parts WHERE active AND database = currentDatabase() GROUP BY table`,
    )
    const all = await ch.query<{ name: string }>(
      'SELECT name FROM system.tables WHERE database = currentDatabase() ORDER BY name',
    )
    const counts = new Map(rows.map((r) => [r.name, r.total_rows ?? '0']))
    for (const { name } of all) {
      if (prefixes.some((p) => name.startsWith(`${p}_`)))
        console.log(`${name}\t${counts.get(name) ?? '0'} rows`)
    }
    return 0
  },
}
