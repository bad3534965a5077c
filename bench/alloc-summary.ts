/**
 * The allocation sites of a `.heapprofile` (bench/alloc-sample.ts), largest first: the function
 * that allocated, and with `--depth N` its N-1 callers.
 *
 *   node bench/alloc-summary.ts <file.heapprofile> [--top 30] [--depth 1]
 */
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'

interface Node {
  callFrame: { functionName: string; url: string; lineNumber: number }
  selfSize: number
  children: Node[]
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: 'string', default: '30' }, depth: { type: 'string', default: '1' } },
})
const file = positionals[0]
if (!file) throw new Error('usage: node bench/alloc-summary.ts <file.heapprofile> [--top N] [--depth N]')
const { head } = JSON.parse(readFileSync(file, 'utf8')) as { head: Node }
const depth = Number(values.depth)
const name = (n: Node) =>
  `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.replace(/.*\/(node_modules|src|bench)\//, '$1/')}:${n.callFrame.lineNumber + 1}`

const bySite = new Map<string, number>()
let total = 0
const walk = (n: Node, stack: string[]) => {
  const here = [name(n), ...stack]
  if (n.selfSize > 0) {
    const site = here.slice(0, depth).join(' <- ')
    bySite.set(site, (bySite.get(site) ?? 0) + n.selfSize)
    total += n.selfSize
  }
  for (const c of n.children) walk(c, here)
}
walk(head, [])
console.log(`${(total / 1e6).toFixed(0)} MB sampled\n\n| MB | share | where |\n| ---: | ---: | --- |`)
for (const [site, bytes] of [...bySite].sort((a, b) => b[1] - a[1]).slice(0, Number(values.top)))
  console.log(`| ${(bytes / 1e6).toFixed(1)} | ${((100 * bytes) / total).toFixed(1)}% | \`${site}\` |`)
