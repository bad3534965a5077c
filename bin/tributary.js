#!/usr/bin/env node
// The CLI is TypeScript that Node runs directly (type stripping, Node >= 22.18). On an older Node
// (the Debian machine's 20, say) re-run under the Node 24 this package depends on (npm's `node`
// package), so `npx tributary` and a global install work with whatever Node started them.
import { spawn } from 'node:child_process'
import module, { createRequire } from 'node:module'

if (process.features.typescript) {
  // Parsed and type-stripped modules are kept across runs (in the OS temp dir): a start costs about
  // half the CPU (0.5 -> 0.25 s measured on the bench machine).
  module.enableCompileCache?.()
  const { main, quietKnownWarnings } = await import('../src/cli/main.ts')
  quietKnownWarnings()
  main(process.argv.slice(2)).then((code) => process.exit(code))
} else {
  const bundled = createRequire(import.meta.url).resolve('node/bin/node')
  const child = spawn(bundled, process.argv.slice(1), { stdio: 'inherit' })
  // The child drains and commits on SIGINT/SIGTERM: pass them on rather than die before it.
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal))
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)))
}
