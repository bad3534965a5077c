import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { ConfigError } from '../../src/errors/tributary-error.ts'
import { type HealthServer, startHealthServer } from '../../src/observability/health-server.ts'
import { Metrics } from '../../src/observability/metrics.ts'
import { sample } from './prom-text.ts'

const open: HealthServer[] = []
after(async () => {
  await Promise.all(open.map((s) => s.close()))
})

async function start(options: Partial<Parameters<typeof startHealthServer>[0]> = {}) {
  const metrics = options.metrics ?? new Metrics({ defaultMetrics: false })
  const server = await startHealthServer({ port: 0, metrics, ready: () => true, ...options })
  open.push(server)
  return { server, metrics, url: (path: string) => `http://127.0.0.1:${server.port}${path}` }
}

test('port 0 picks a real port on loopback', async () => {
  const { server } = await start()
  assert.ok(server.port > 0)
  assert.equal(server.host, '127.0.0.1')
})

test('/metrics serves the registry as Prometheus text', async () => {
  const { metrics, url } = await start()
  metrics.records('orders', 'decode', 'bronze', 'in', 12)
  const res = await fetch(url('/metrics'))
  assert.equal(res.status, 200)
  assert.equal(res.headers.get('content-type'), metrics.registry.contentType)
  const body = await res.text()
  assert.equal(
    sample(body, 'tributary_records_total', {
      topology: 'orders',
      operator: 'decode',
      layer: 'bronze',
      outcome: 'in',
    }),
    12,
  )
})

test('/readyz is 503 with the reason until ready, then 200', async () => {
  let state: { ready: boolean; reason?: string } = { ready: false, reason: 'restoring state for orders' }
  const { url } = await start({ ready: () => state })
  const before = await fetch(url('/readyz'))
  assert.equal(before.status, 503)
  assert.deepEqual(await before.json(), { ready: false, reason: 'restoring state for orders' })
  state = { ready: true }
  const now = await fetch(url('/readyz'))
  assert.equal(now.status, 200)
  assert.deepEqual(await now.json(), { ready: true })
})

test('/readyz accepts a plain boolean probe', async () => {
  let ready = false
  const { url } = await start({ ready: () => ready })
  assert.equal((await fetch(url('/readyz'))).status, 503)
  ready = true
  assert.equal((await fetch(url('/readyz'))).status, 200)
})

test('/healthz is 200 by default and 503 once the process has fatally failed', async () => {
  const plain = await start()
  const ok = await fetch(plain.url('/healthz'))
  assert.equal(ok.status, 200)
  assert.deepEqual(await ok.json(), { healthy: true })

  let fatal: string | undefined
  const probed = await start({ healthy: () => ({ healthy: fatal === undefined, reason: fatal }) })
  assert.equal((await fetch(probed.url('/healthz'))).status, 200)
  fatal = 'commit loop crashed'
  const failed = await fetch(probed.url('/healthz'))
  assert.equal(failed.status, 503)
  assert.deepEqual(await failed.json(), { healthy: false, reason: 'commit loop crashed' })
})

test('a probe that throws answers 503 with the error, not a dropped connection', async () => {
  const { url } = await start({
    ready: () => {
      throw new Error('registry client not built')
    },
  })
  const res = await fetch(url('/readyz'))
  assert.equal(res.status, 503)
  const body = (await res.json()) as { ready: boolean; reason: string }
  assert.equal(body.ready, false)
  assert.match(body.reason, /registry client not built/)
})

test('unknown paths are 404; other methods are 405; query strings are ignored', async () => {
  const { url } = await start()
  assert.equal((await fetch(url('/'))).status, 404)
  assert.equal((await fetch(url('/metricsx'))).status, 404)
  const post = await fetch(url('/metrics'), { method: 'POST' })
  assert.equal(post.status, 405)
  assert.equal(post.headers.get('allow'), 'GET, HEAD')
  assert.equal((await fetch(url('/healthz?verbose=1'))).status, 200)
})

test('a taken port fails with a ConfigError naming the port, metrics.port and TRIBUTARY_METRICS_PORT', async () => {
  const { server } = await start()
  await assert.rejects(
    startHealthServer({ port: server.port, metrics: new Metrics(), ready: () => true }),
    (err) => {
      assert.ok(err instanceof ConfigError)
      assert.equal(err.field, 'metrics.port')
      assert.match(err.message, new RegExp(`port ${server.port} on 127\\.0\\.0\\.1 is already in use`))
      assert.match(err.message, /TRIBUTARY_METRICS_PORT/)
      return true
    },
  )
})

test('close releases the port, even with a keep-alive scraper connected', async () => {
  const metrics = new Metrics({ defaultMetrics: false })
  const first = await startHealthServer({ port: 0, metrics, ready: () => true })
  const res = await fetch(`http://127.0.0.1:${first.port}/metrics`)
  await res.text()
  await first.close()
  const again = await startHealthServer({ port: first.port, metrics, ready: () => true })
  open.push(again)
  assert.equal(again.port, first.port)
})
