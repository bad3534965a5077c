import { execFile } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { portOffset } from '../../src/config/endpoints.ts'

const run = promisify(execFile)
const repo = path.resolve(import.meta.dirname, '../..')

/**
 * A service of this test's own, started by the stack scripts in a private stack dir on shifted
 * ports, so a test may stop and restart it without disturbing the shared stack other tests use.
 */
export class PrivateService {
  readonly service: 'clickhouse' | 'redis' | 'kafka'
  readonly offset: number
  private readonly env: NodeJS.ProcessEnv

  constructor(service: PrivateService['service'], shift: number) {
    this.service = service
    this.offset = portOffset() + shift
    this.env = {
      ...process.env,
      TRIBUTARY_STACK_DIR: mkdtempSync(path.join(tmpdir(), `tributary-${service}-`)),
      TRIBUTARY_PORT_OFFSET: String(this.offset),
    }
  }

  async start(): Promise<void> {
    await run('bash', [path.join(repo, 'scripts/stack/up.sh'), this.service], { env: this.env })
  }

  async stop(purge = false): Promise<void> {
    await run(
      'bash',
      [path.join(repo, 'scripts/stack/down.sh'), ...(purge ? ['--purge'] : []), this.service],
      { env: this.env },
    )
  }
}
