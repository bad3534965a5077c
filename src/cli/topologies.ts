import { readdirSync } from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { ConfigError } from '../errors/tributary-error.ts'
import type { Topology } from '../topology/define.ts'

/** Every `topologies/*.ts` file's default export, by topology name (TRIBUTARY_TOPOLOGIES_DIR moves the folder). */
export async function loadTopologies(dir?: string): Promise<Map<string, Topology>> {
  const files = await loadTopologyFiles(dir)
  return new Map([...files].map(([name, f]) => [name, f.topology]))
}

/** The topologies with the file each is declared in. */
export async function loadTopologyFiles(
  dir = path.resolve(process.env.TRIBUTARY_TOPOLOGIES_DIR ?? 'topologies'),
): Promise<Map<string, { topology: Topology; file: string }>> {
  const out = new Map<string, { topology: Topology; file: string }>()
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.ts'))
    .sort()) {
    const mod = (await import(pathToFileURL(path.join(dir, file)).href)) as { default?: Topology }
    const t = mod.default
    if (!t || typeof t !== 'object' || !('definition' in t)) {
      throw new ConfigError(
        `topologies/${file}`,
        'has no default export from defineTopology()',
        'add `export default defineTopology({...})`',
      )
    }
    if (out.has(t.name))
      throw new ConfigError(
        `topologies/${file}`,
        `repeats the topology name ${t.name}`,
        'give each topology its own name',
      )
    out.set(t.name, { topology: t, file: path.join(dir, file) })
  }
  return out
}

export async function pickTopologies(names: readonly string[]): Promise<Topology[]> {
  const all = await loadTopologies()
  if (names.length === 0) return [...all.values()]
  return names.map((n) => {
    const t = all.get(n)
    if (!t)
      throw new ConfigError(
        'topology',
        `${JSON.stringify(n)} is not defined`,
        `use one of: ${[...all.keys()].join(', ')}`,
      )
    return t
  })
}
