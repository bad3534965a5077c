import { readFileSync } from 'node:fs'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { markdownTable } from './markdown.ts'

/** The parts of a V8 `.cpuprofile` (what `node --cpu-prof` writes) this summary reads. */
export interface CpuProfile {
  readonly nodes: readonly {
    readonly id: number
    readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number }
  }[]
  readonly samples: readonly number[]
  readonly timeDeltas: readonly number[]
}

export interface SelfTime {
  readonly name: string
  /** Where: repo-relative path (or package path) and 1-based line; empty for VM entries like (garbage collector). */
  readonly where: string
  readonly selfMs: number
  /** Of the busy (non-idle) time. */
  readonly share: number
}

export interface ProfileSummary {
  readonly busyMs: number
  readonly idleMs: number
  readonly functions: readonly SelfTime[]
  /** Self time per area: a Tributary folder, a package, Node internals, GC. */
  readonly areas: readonly { readonly area: string; readonly selfMs: number; readonly share: number }[]
}

const REPO = path.resolve(import.meta.dirname, '..')

/**
 * Self time per function: each sample is charged to the function on top of the stack, for the
 * time until the next sample. Functions of the same name and place (V8 may list a function under
 * several nodes) are added up.
 */
export function summariseProfile(profile: CpuProfile, top = 20): ProfileSummary {
  const frames = new Map(profile.nodes.map((n) => [n.id, n.callFrame]))
  const selfUs = new Map<number, number>()
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i + 1] ?? 0))
  }
  const byFunction = new Map<string, { name: string; where: string; us: number }>()
  const byArea = new Map<string, number>()
  let idleUs = 0
  for (const [id, us] of selfUs) {
    const frame = frames.get(id)!
    if (frame.functionName === '(idle)') {
      idleUs += us
      continue
    }
    const where = frame.url === '' ? '' : `${shortPath(frame.url)}:${frame.lineNumber + 1}`
    const name = frame.functionName || '(anonymous)'
    const key = `${name} ${where}`
    const entry = byFunction.get(key) ?? { name, where, us: 0 }
    entry.us += us
    byFunction.set(key, entry)
    const area = areaOf(frame.url, name)
    byArea.set(area, (byArea.get(area) ?? 0) + us)
  }
  const busyUs = [...byArea.values()].reduce((a, b) => a + b, 0)
  const share = (us: number) => (busyUs === 0 ? 0 : us / busyUs)
  return {
    busyMs: busyUs / 1000,
    idleMs: idleUs / 1000,
    functions: [...byFunction.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map((f) => ({ name: f.name, where: f.where, selfMs: f.us / 1000, share: share(f.us) })),
    areas: [...byArea]
      .sort((a, b) => b[1] - a[1])
      .map(([area, us]) => ({ area, selfMs: us / 1000, share: share(us) })),
  }
}

function shortPath(url: string): string {
  const file = url.startsWith('file://') ? new URL(url).pathname : url
  const modules = file.lastIndexOf('/node_modules/')
  if (modules >= 0) return file.slice(modules + 1)
  return file.startsWith(`${REPO}/`) ? path.relative(REPO, file) : file
}

/** `src/sinks`, a package name, `node internals`, V8 builtins, or a VM entry such as `(garbage collector)`. */
function areaOf(url: string, name: string): string {
  if (url === '') return name.startsWith('(') && name !== '(anonymous)' ? name : 'V8 builtins'
  if (url.startsWith('node:')) return 'node internals'
  const file = shortPath(url)
  if (file.startsWith('node_modules/')) {
    const [, scope, pkg] = file.split('/')
    return scope!.startsWith('@') ? `${scope}/${pkg}` : scope!
  }
  const [top, sub] = file.split('/')
  return top === 'src' && sub !== undefined && !sub.endsWith('.ts') ? `src/${sub}` : (top ?? file)
}

export function profileMarkdown(summary: ProfileSummary): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`
  const ms = (x: number) => x.toFixed(0)
  return [
    `Busy ${ms(summary.busyMs)} ms, idle ${ms(summary.idleMs)} ms (shares are of busy time).`,
    '',
    markdownTable(
      ['self ms', 'share', 'function', 'where'],
      summary.functions.map((f) => [ms(f.selfMs), pct(f.share), `\`${f.name}\``, f.where]),
    ),
    '',
    markdownTable(
      ['self ms', 'share', 'area'],
      summary.areas.slice(0, 15).map((a) => [ms(a.selfMs), pct(a.share), a.area]),
    ),
  ].join('\n')
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { top: { type: 'string', default: '20' } },
  })
  if (positionals.length !== 1) {
    console.error('usage: node bench/profile-summary.ts <file.cpuprofile> [--top N]')
    process.exit(2)
  }
  const profile = JSON.parse(readFileSync(positionals[0]!, 'utf8')) as CpuProfile
  console.log(profileMarkdown(summariseProfile(profile, Number(values.top))))
}
