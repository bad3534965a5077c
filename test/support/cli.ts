import { spawn } from 'node:child_process'
import { once } from 'node:events'
import path from 'node:path'

const ROOT = path.resolve(import.meta.dirname, '../..')

/**
 * Runs the CLI as a user would (`bin/tributary.js`, the installed entry point, from the repository
 * root); returns its exit code and everything it printed, stdout and stderr interleaved.
 */
export async function runCli(
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<{ code: number; output: string }> {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/tributary.js'), ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout.on('data', (d) => {
    output += d
  })
  child.stderr.on('data', (d) => {
    output += d
  })
  const [code] = await once(child, 'exit')
  return { code: code as number, output }
}
