/**
 * The one test command (README, .ci/run): node's own runner over test/**\/*.test.ts, TypeScript run
 * directly by Node 24. `--unit` leaves out integration tests (files named *.int.test.ts), which need
 * the stack from `npm run stack:up`. Exits non-zero on any failure and on a run that found no tests.
 */
import { spawnSync } from 'node:child_process'
import { globSync } from 'node:fs'

const unitOnly = process.argv.includes('--unit')
const filters = process.argv.slice(2).filter((a) => !a.startsWith('--'))
const files = globSync('test/**/*.test.ts')
  .filter((f) => !unitOnly || !f.endsWith('.int.test.ts'))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort()
if (files.length === 0) {
  console.error('no test files matched')
  process.exit(1)
}
const result = spawnSync(
  process.execPath,
  [
    '--test',
    '--test-reporter=spec',
    `--test-concurrency=${process.env.TEST_CONCURRENCY ?? 2}`,
    '--test-timeout=300000',
    ...files,
  ],
  { stdio: 'inherit' },
)
process.exit(result.status ?? 1)
