import { createWriteStream } from 'node:fs'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { parseArgs } from 'node:util'
import type { Command } from '../context.ts'
import { withReadableTimes } from '../readable-times.ts'

const FORMATS: Record<string, string> = {
  table: 'PrettyCompactMonoBlock',
  json: 'JSONEachRow',
  csv: 'CSVWithNames',
  tsv: 'TabSeparatedWithNames',
  parquet: 'Parquet',
}

export const query: Command = {
  name: 'query',
  summary: "run SQL on ClickHouse, streamed in ClickHouse's own output formats",
  usage: 'tributary query "<sql>" [--format table|json|csv|tsv|parquet] [--out FILE]',
  async run(args, ctx) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { format: { type: 'string', default: 'table' }, out: { type: 'string' } },
    })
    if (positionals.length !== 1) throw new Error(`usage: ${this.usage}`)
    const format = FORMATS[values.format!]
    if (!format) throw new Error(`--format must be one of ${Object.keys(FORMATS).join(', ')}`)
    const ch = await ctx.clickhouse()
    const features = await ch.features()
    if (!features.outputFormats.includes(format)) {
      throw new Error(`ClickHouse ${features.version} cannot write ${format}; pick another --format`)
    }
    if (format === 'Parquet' && values.out === undefined && process.stdout.isTTY) {
      throw new Error('Parquet is binary: add --out FILE')
    }
    const sql =
      values.format === 'table' && !features.dateTime64
        ? await withReadableTimes(ch, positionals[0]!)
        : positionals[0]!
    const out = values.out ? createWriteStream(values.out) : process.stdout
    await pipeline(Readable.from(ch.stream(sql, format)), out, { end: values.out !== undefined })
    return 0
  },
}
