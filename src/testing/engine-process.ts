import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'

const repo = path.resolve(import.meta.dirname, '../..')

/**
 * A topologies folder holding one example topology renamed for this test, for a child engine;
 * `format: 'json'` reads the example's schema as JSON instead of its own format.
 */
export function topologyDir(
  example: 'orders' | 'sensor-readings' | 'customers',
  name: string,
  format?: 'json',
): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'tributary-topologies-'))
  const base = format
    ? `import { json } from '${repo}/src/serde/format.ts'\nimport { defineTopology } from '${repo}/src/topology/define.ts'\nimport example from '${repo}/topologies/${example}.ts'\nconst d = example.definition\nconst base = defineTopology({ ...d, source: { ...d.source, format: json(d.source.format.schema) } })\n`
    : `import base from '${repo}/topologies/${example}.ts'\n`
  writeFileSync(
    path.join(dir, `${name}.ts`),
    `${base}import { renameTopology } from '${repo}/src/testing/rename.ts'\nexport default renameTopology(base, '${name}')\n`,
  )
  return dir
}

export interface EngineProcess {
  readonly child: ChildProcess
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  output(): string
}

/** `tributary run` as a separate OS process, so tests can signal or kill it like an operator would. */
export function spawnEngine(
  dir: string,
  args: string[] = [],
  env: Record<string, string> = {},
): EngineProcess {
  const child = spawn(process.execPath, [path.join(repo, 'src/cli/main.ts'), 'run', ...args], {
    cwd: repo,
    env: {
      ...process.env,
      TRIBUTARY_TOPOLOGIES_DIR: dir,
      TRIBUTARY_METRICS_PORT: '0',
      TRIBUTARY_SINK_FLUSH_INTERVAL_MS: '200',
      TRIBUTARY_LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  child.stdout!.on('data', (d) => {
    out += d
  })
  child.stderr!.on('data', (d) => {
    out += d
  })
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  )
  return { child, exited, output: () => out }
}
