import net from 'node:net'
import { redactUrl, splitUrlCredentials } from '../../config/url-credentials.ts'
import type { Command } from '../context.ts'
import { loadTopologies } from '../topologies.ts'

function reachable(hostPort: string, timeoutMs = 1000): Promise<boolean> {
  const [host, port] = [
    hostPort.slice(0, hostPort.lastIndexOf(':')),
    Number(hostPort.slice(hostPort.lastIndexOf(':') + 1)),
  ]
  return new Promise((resolve) => {
    const s = net.connect({ host, port, timeout: timeoutMs })
    const done = (ok: boolean) => {
      s.destroy()
      resolve(ok)
    }
    s.once('connect', () => done(true))
    s.once('error', () => done(false))
    s.once('timeout', () => done(false))
  })
}

function hostPortOf(url: string): string {
  const u = new URL(url)
  return `${u.hostname}:${u.port || (u.protocol === 'https:' ? 443 : 80)}`
}

export const status: Command = {
  name: 'status',
  summary: 'show whether the stack services answer and which topologies run (and their metrics port)',
  usage: 'tributary status',
  async run(_args, ctx) {
    const c = ctx.config
    const checks: [string, string, () => Promise<boolean>][] = [
      ['kafka', c.kafka.brokers.join(','), () => reachable(c.kafka.brokers[0]!)],
      [
        'schema-registry',
        redactUrl(c.registry.url),
        async () =>
          (await fetch(`${splitUrlCredentials(c.registry.url).url}/subjects`).catch(() => null))?.ok ?? false,
      ],
      ['redis', redactUrl(c.redis.url), () => reachable(hostPortOf(c.redis.url))],
      [
        'clickhouse',
        redactUrl(c.clickhouse.url),
        async () => (await ctx.clickhouse()).ping().catch(() => false),
      ],
    ]
    let down = 0
    for (const [name, where, check] of checks) {
      const ok = await check()
      if (!ok) down++
      console.log(`${name.padEnd(16)} ${ok ? 'up  ' : 'DOWN'} ${where}`)
    }
    const ready = await fetch(`http://${c.metrics.host}:${c.metrics.port}/readyz`).catch(() => null)
    const body = ready ? await ready.text() : ''
    console.log(
      `${'engine'.padEnd(16)} ${ready ? (ready.ok ? 'up  ' : 'busy') : 'not running'} http://${c.metrics.host}:${c.metrics.port} ${body}`,
    )
    console.log(`topologies: ${[...(await loadTopologies()).keys()].join(', ')}`)
    return down === 0 ? 0 : 1
  },
}
