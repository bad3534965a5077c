#!/usr/bin/env node
import { TributaryError } from '../errors/tributary-error.ts'
import { config } from './commands/config.ts'
import { describe } from './commands/describe.ts'
import { list } from './commands/list.ts'
import { produce } from './commands/produce.ts'
import { query } from './commands/query.ts'
import { reprocess } from './commands/reprocess.ts'
import { run } from './commands/run.ts'
import { schemas } from './commands/schemas.ts'
import { status } from './commands/status.ts'
import { tables } from './commands/tables.ts'
import { CliContext, type Command } from './context.ts'

const COMMANDS: readonly Command[] = [
  run,
  reprocess,
  list,
  describe,
  schemas,
  produce,
  query,
  tables,
  status,
  config,
]

function help(): string {
  return [
    'tributary: Kafka to ClickHouse medallion tables',
    '',
    'usage: tributary <command> [options]   (--help after a command for its usage)',
    '',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(10)} ${c.summary}`),
    '',
    'Configuration: topologies/environments/$TRIBUTARY_ENV.json (default dev) and TRIBUTARY_* variables.',
  ].join('\n')
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(help())
    return 0
  }
  const command = COMMANDS.find((c) => c.name === name)
  if (!command) {
    console.error(`unknown command ${JSON.stringify(name)}\n\n${help()}`)
    return 2
  }
  if (args.includes('--help') || args.includes('-h')) {
    console.log(`${command.usage}\n\n${command.summary}`)
    return 0
  }
  let ctx: CliContext | undefined
  try {
    ctx = new CliContext()
    return await command.run(args, ctx)
  } catch (err) {
    const e = err as Error
    console.error(`tributary ${name}: ${e instanceof TributaryError ? e.message : e.message || String(err)}`)
    if (process.env.TRIBUTARY_DEBUG) console.error(e.stack)
    return 1
  } finally {
    await ctx?.close()
    await stdoutDrained()
  }
}

/**
 * Resolves once everything written to stdout has reached the OS. The caller then calls
 * process.exit, which would drop output still queued for a pipe whose reader is behind.
 */
function stdoutDrained(): Promise<void> {
  // A write's callback runs after every earlier write has been handed over (or failed: EPIPE).
  return new Promise((resolve) => process.stdout.write('', () => resolve()))
}

/** kafkajs 2.2.4 arms a timer with a negative delay on Node 22+; harmless, but it would print on every run. */
export function quietKnownWarnings(): void {
  process.removeAllListeners('warning')
  process.on('warning', (w) => {
    if (w.name !== 'TimeoutNegativeWarning') console.error(`${w.name}: ${w.message}`)
  })
}

if (import.meta.main) {
  quietKnownWarnings()
  main(process.argv.slice(2)).then((code) => process.exit(code))
}
