import { quietKnownWarnings } from '../../src/cli/main.ts'
import { kafkajsBaseline } from './kafkajs-baseline.ts'
import type { Worker } from './life.ts'
import { platformaticBaseline } from './platformatic-baseline.ts'
import { tributary } from './tributary.ts'

/**
 * A contender's own process: `node bench/workers/main.ts <worker> '<params json>'`. One process
 * per contender, so its CPU seconds and peak RSS are its alone.
 */
const WORKERS: Record<string, Worker<never>> = {
  tributary,
  'kafkajs-baseline': kafkajsBaseline,
  'platformatic-baseline': platformaticBaseline,
}

quietKnownWarnings()
const [name, params] = process.argv.slice(2)
const worker = WORKERS[name ?? '']
if (!worker || params === undefined) {
  console.error(`usage: node bench/workers/main.ts <${Object.keys(WORKERS).join('|')}> '<params json>'`)
  process.exit(2)
}
const stopped = new Promise<void>((resolve) => process.once('SIGTERM', () => resolve()))
const ready = () => console.log(JSON.stringify({ ready: { pid: process.pid } }))
const report = await worker(JSON.parse(params) as never, { ready, stopped })
console.log(JSON.stringify({ report }))
// Clients may leave sockets or timers behind; the report is out, so the work is over.
process.exit(0)
