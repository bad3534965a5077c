import { quietKnownWarnings } from '../../src/cli/main.ts'
import type { Worker } from './life.ts'

/**
 * A contender's own process: `node bench/workers/main.ts <worker> '<params json>'`. One process
 * per contender, so its CPU seconds and peak RSS are its alone; only the chosen worker's module is
 * loaded, so no contender pays for another's client library at start-up.
 */
const WORKERS: Record<string, () => Promise<Worker<never>>> = {
  tributary: async () => (await import('./tributary.ts')).tributary,
  'kafkajs-baseline': async () => (await import('./kafkajs-baseline.ts')).kafkajsBaseline,
  'platformatic-baseline': async () => (await import('./platformatic-baseline.ts')).platformaticBaseline,
}

quietKnownWarnings()
const [name, params] = process.argv.slice(2)
const load = WORKERS[name ?? '']
if (!load || params === undefined) {
  console.error(`usage: node bench/workers/main.ts <${Object.keys(WORKERS).join('|')}> '<params json>'`)
  process.exit(2)
}
const worker = await load()
const stopped = new Promise<void>((resolve) => process.once('SIGTERM', () => resolve()))
const ready = () => console.log(JSON.stringify({ ready: { pid: process.pid } }))
const report = await worker(JSON.parse(params) as never, { ready, stopped })
console.log(JSON.stringify({ report }))
// Clients may leave sockets or timers behind; the report is out, so the work is over.
process.exit(0)
