import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { ConfigError } from '../../errors/tributary-error.ts'
import type { ReprocessFrom } from '../../reprocess/candidates.ts'
import {
  type Accounting,
  type ReprocessSummary,
  reprocess as runReprocess,
} from '../../reprocess/reprocess.ts'
import { tableNames } from '../../topology/table-names.ts'
import { parseDuration } from '../../windows/durations.ts'
import type { Command } from '../context.ts'
import { loadTopologyFiles } from '../topologies.ts'

const USAGE =
  'tributary reprocess <topology> [--from-quarantine [--rule <name>] | --from-bronze --since <time>] [--chunk N]'

export interface ReprocessArgs {
  readonly topology: string
  readonly from: ReprocessFrom
  readonly chunkOffsets?: number
}

/** `--since`: an ISO-8601 time (`2026-11-30T06:00:00Z`) or a duration before now (`24h`). */
export function parseReprocessArgs(args: string[], now: number): ReprocessArgs {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      'from-quarantine': { type: 'boolean' },
      'from-bronze': { type: 'boolean' },
      since: { type: 'string' },
      rule: { type: 'string' },
      chunk: { type: 'string' },
    },
  })
  if (positionals.length !== 1) throw new Error(`usage: ${USAGE}`)
  if (values['from-quarantine'] && values['from-bronze'])
    throw new ConfigError('--from-bronze', 'given with --from-quarantine', 'choose one source')
  const chunk = values.chunk === undefined ? undefined : Number(values.chunk)
  if (chunk !== undefined && !(Number.isSafeInteger(chunk) && chunk > 0))
    throw new ConfigError(
      '--chunk',
      `${JSON.stringify(values.chunk)} is not a positive integer`,
      'e.g. --chunk 10000',
    )
  const base = { topology: positionals[0]!, ...(chunk !== undefined ? { chunkOffsets: chunk } : {}) }
  if (!values['from-bronze']) {
    if (values.since !== undefined)
      throw new ConfigError('--since', 'applies to --from-bronze only', 'add --from-bronze, or drop --since')
    return { ...base, from: { kind: 'quarantine', ...(values.rule ? { rule: values.rule } : {}) } }
  }
  if (values.rule !== undefined)
    throw new ConfigError(
      '--rule',
      'applies to --from-quarantine only',
      'drop --rule, or use --from-quarantine',
    )
  if (values.since === undefined)
    throw new ConfigError(
      '--since',
      'is required with --from-bronze',
      'e.g. --since 24h or --since 2026-11-30T00:00:00Z',
    )
  return { ...base, from: { kind: 'bronze', since: sinceMs(values.since, now) } }
}

function sinceMs(since: string, now: number): number {
  if (/^\d+(\.\d+)?\s*(ms|s|m|h|d)$/.test(since.trim())) return now - parseDuration(since, '--since')
  const t = Date.parse(since)
  if (Number.isNaN(t))
    throw new ConfigError(
      '--since',
      `${JSON.stringify(since)} is neither a time nor a duration`,
      'e.g. 24h or 2026-11-30T00:00:00Z',
    )
  return t
}

export const reprocess: Command = {
  name: 'reprocess',
  summary: 'run open quarantine (or bronze) through the topology as it is now, into silver and gold, once',
  usage: USAGE,
  async run(args, ctx) {
    const parsed = parseReprocessArgs(args, Date.now())
    const files = await loadTopologyFiles()
    const entry = files.get(parsed.topology)
    if (!entry)
      throw new ConfigError(
        'topology',
        `${JSON.stringify(parsed.topology)} is not defined`,
        `use one of: ${[...files.keys()].join(', ')}`,
      )
    const { topology, file } = entry
    // The topology file names the rules and transforms: its hash says which version resolved a row.
    const rulesVersion = createHash('sha256').update(readFileSync(file)).digest('hex').slice(0, 12)
    // Progress and the logs go to stderr; the summary to stdout.
    const logger = ctx.logger(undefined, process.stderr)
    const summary = await runReprocess({
      topology,
      config: ctx.config,
      clickhouse: await ctx.clickhouse(),
      registry: ctx.registry(),
      logger,
      from: parsed.from,
      rulesVersion,
      ...(parsed.chunkOffsets !== undefined ? { chunkOffsets: parsed.chunkOffsets } : {}),
    })
    console.log(summaryText(summary, topology.entity))
    return 0
  },
}

/** bronze = silver + open quarantine + duplicates: the rest is what dedup dropped (live, or resolved so). */
function accountingText(a: Accounting): string {
  const rest = a.bronze - a.silver - a.openQuarantine
  return `accounting: bronze ${a.bronze} = silver ${a.silver} + open quarantine ${a.openQuarantine} + ${rest} duplicates dropped (${a.resolvedDuplicates} of them by reprocess; the engine counts its own as tributary_records_total{outcome="duplicate"})`
}

export function summaryText(s: ReprocessSummary, entity: string): string {
  const rejected = Object.entries(s.stillRejected)
    .map(([code, n]) => `${code} ${n}`)
    .join(', ')
  return [
    `run ${s.runId} (rules version ${s.rulesVersion}): ${s.read} records read in ${s.chunks} chunks, ${(s.durationMs / 1000).toFixed(1)} s`,
    `  to silver and gold  ${s.toSilver}`,
    `  already in silver   ${s.alreadyInSilver} (landed by a run cut short; now resolved)`,
    `  duplicates dropped  ${s.duplicates}`,
    `  still rejected      ${Object.values(s.stillRejected).reduce((a, b) => a + b, 0)}${rejected ? ` (${rejected})` : ''}: open in ${tableNames.quarantineOpen(entity)}`,
    ...(s.newlyQuarantined > 0 ? [`  newly quarantined   ${s.newlyQuarantined}`] : []),
    `  resolved            ${s.resolved} rows in ${tableNames.quarantineResolved(entity)}`,
    ...(s.goldsNotFed.length > 0 ? [`  not fed (session windows, reduce): ${s.goldsNotFed.join(', ')}`] : []),
    accountingText(s.accounting),
  ].join('\n')
}
