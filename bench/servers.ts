import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import type { Usage } from './measure.ts'

const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
  } catch {
    return 100
  }
})()

/**
 * A long-running server (ClickHouse, the Kafka broker) that does part of every contender's work:
 * found by the port it listens on, so it is this stack's server whichever stack dir started it.
 * CPU is read as a delta over a run; peak RSS is sampled, since the kernel's high-water mark
 * covers the server's whole life.
 */
class ServerProcess {
  readonly pid: number | null
  #cpuAtStart = 0
  #peakRssKb = 0

  constructor(port: number) {
    this.pid = listenerPid(port)
  }

  start(): void {
    this.#cpuAtStart = this.#cpuSeconds() ?? 0
    this.#peakRssKb = 0
    this.sample()
  }

  /** Call often during a run: RSS is only known where it was looked at. */
  sample(): void {
    const rss = this.#statusField('VmRSS')
    if (rss !== null && rss > this.#peakRssKb) this.#peakRssKb = rss
  }

  finish(): Usage {
    this.sample()
    const now = this.#cpuSeconds()
    return {
      cpuSeconds: now === null ? null : now - this.#cpuAtStart,
      peakRssMb: this.pid === null ? null : this.#peakRssKb / 1024,
    }
  }

  #cpuSeconds(): number | null {
    if (this.pid === null) return null
    try {
      // Fields after the parenthesised command name; utime and stime are fields 14 and 15 of stat.
      const stat = readFileSync(`/proc/${this.pid}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS
    } catch {
      return null
    }
  }

  #statusField(field: string): number | null {
    if (this.pid === null) return null
    try {
      const match = new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(
        readFileSync(`/proc/${this.pid}/status`, 'utf8'),
      )
      return match ? Number(match[1]) : null
    } catch {
      return null
    }
  }
}

function listenerPid(port: number): number | null {
  try {
    const out = execFileSync('ss', ['-Hltnp', `sport = :${port}`], { encoding: 'utf8' })
    const match = /pid=(\d+)/.exec(out)
    return match ? Number(match[1]) : null
  } catch {
    return null
  }
}

/** ZooKeeper coordinates ClickHouse's Replicated tables: every insert's block dedup goes through it. */
export const SERVERS = ['clickhouse', 'kafka', 'redis', 'zookeeper'] as const
export type ServerName = (typeof SERVERS)[number]

/** The stack's servers, measured together over each run. */
export class StackServers {
  readonly #servers: Record<ServerName, ServerProcess>

  constructor(ports: Record<ServerName, number>) {
    this.#servers = {
      clickhouse: new ServerProcess(ports.clickhouse),
      kafka: new ServerProcess(ports.kafka),
      redis: new ServerProcess(ports.redis),
      zookeeper: new ServerProcess(ports.zookeeper),
    }
  }

  start(): void {
    for (const name of SERVERS) this.#servers[name].start()
  }

  sample(): void {
    for (const name of SERVERS) this.#servers[name].sample()
  }

  finish(): Record<ServerName, Usage> {
    return {
      clickhouse: this.#servers.clickhouse.finish(),
      kafka: this.#servers.kafka.finish(),
      redis: this.#servers.redis.finish(),
      zookeeper: this.#servers.zookeeper.finish(),
    }
  }
}
