import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { createInterface } from 'node:readline'

/** CPU and peak memory of one process, or nulls where the platform cannot tell. */
export interface Usage {
  readonly cpuSeconds: number | null
  readonly peakRssMb: number | null
}

export interface Exit {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly usage: Usage
  readonly stderr: string
}

const GNU_TIME = '/usr/bin/time'

/**
 * A contender's process, run under GNU time so its user+system CPU and peak RSS are its own (the
 * kernel's rusage of that child), whatever language it is written in. Without /usr/bin/time the
 * run still works and reports nulls: CI checks counts, not speed.
 *
 * Workers speak one JSON object per stdout line (`{"ready":...}`, `{"report":...}`); `message`
 * waits for the first line holding a key.
 */
export class MeasuredProcess {
  readonly exited: Promise<Exit>
  readonly #child: ChildProcess
  readonly #messages: Record<string, unknown>[] = []
  readonly #waiters = new Set<() => void>()
  #done = false

  constructor(argv: readonly string[], options: { env?: NodeJS.ProcessEnv; stdout: 'ignore' | 'messages' }) {
    const dir = mkdtempSync(path.join(tmpdir(), 'tributary-bench-'))
    const usageFile = path.join(dir, 'usage')
    const timed = existsSync(GNU_TIME)
    const [command, ...args] = timed ? [GNU_TIME, '-f', '%U %S %M', '-o', usageFile, ...argv] : argv
    this.#child = spawn(command!, args, {
      env: options.env ?? process.env,
      stdio: ['ignore', options.stdout === 'ignore' ? 'ignore' : 'pipe', 'pipe'],
    })
    if (this.#child.stdout) {
      createInterface({ input: this.#child.stdout }).on('line', (line) => {
        if (!line.startsWith('{')) return
        try {
          this.#messages.push(JSON.parse(line) as Record<string, unknown>)
        } catch {
          return
        }
        for (const wake of this.#waiters) wake()
      })
    }
    let stderr = ''
    this.#child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString()
    })
    this.exited = new Promise((resolve, reject) => {
      this.#child.once('error', reject)
      this.#child.once('close', (code, signal) => {
        this.#done = true
        for (const wake of this.#waiters) wake()
        const usage = timed && existsSync(usageFile) ? parseGnuTime(readFileSync(usageFile, 'utf8')) : null
        rmSync(dir, { recursive: true, force: true })
        resolve({ code, signal, usage: usage ?? { cpuSeconds: null, peakRssMb: null }, stderr })
      })
    })
  }

  /** The first message carrying `key`; rejects if the process exits without sending one. */
  async message<T>(key: string): Promise<T> {
    for (;;) {
      const found = this.#messages.find((m) => key in m)
      if (found) return found[key] as T
      if (this.#done) {
        const exit = await this.exited
        throw new Error(
          `process exited (code ${exit.code}) before sending "${key}":\n${exit.stderr.slice(-4000)}`,
        )
      }
      await new Promise<void>((resolve) => {
        const wake = () => {
          this.#waiters.delete(wake)
          resolve()
        }
        this.#waiters.add(wake)
      })
    }
  }

  /** Signals the worker itself: under GNU time, the direct child is `time`, which forwards nothing. */
  signal(pid: number, signal: NodeJS.Signals = 'SIGTERM'): void {
    if (this.#done) return
    try {
      process.kill(pid, signal)
    } catch (err) {
      // Gone already: it exited on its own, which `exited` reports.
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err
    }
  }
}

/** `%U %S %M`: user seconds, system seconds, peak resident set in KiB. */
function parseGnuTime(text: string): Usage | null {
  const last = text.trim().split('\n').at(-1) ?? ''
  const [user, system, rssKb] = last.split(/\s+/).map(Number)
  if (
    user === undefined ||
    system === undefined ||
    rssKb === undefined ||
    [user, system, rssKb].some(Number.isNaN)
  )
    return null
  return { cpuSeconds: user + system, peakRssMb: rssKb / 1024 }
}
