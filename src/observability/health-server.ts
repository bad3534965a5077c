/**
 * The operations endpoint: Prometheus scrapes /metrics, the orchestrator probes /healthz (restart me
 * when failing) and /readyz (send me work / count me in a rollout only when passing). Liveness and
 * readiness stay separate so a pipeline waiting on a down ClickHouse reports not-ready without being
 * restarted in a loop, which would only add rebalances.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { ConfigError, TributaryError } from '../errors/tributary-error.ts'
import type { Metrics } from './metrics.ts'

export type ReadyProbe = () => boolean | { ready: boolean; reason?: string }
export type HealthyProbe = () => boolean | { healthy: boolean; reason?: string }

export interface HealthServerOptions {
  /** 0 picks a free port; read the chosen one back from `HealthServer.port`. */
  port: number
  /** Default loopback: exposing metrics beyond the host is a deployment decision, not a default. */
  host?: string
  metrics: Metrics
  ready: ReadyProbe
  /** Default: alive means healthy. */
  healthy?: HealthyProbe
}

export interface HealthServer {
  readonly port: number
  readonly host: string
  close(): Promise<void>
}

interface ProbeResult {
  ok: boolean
  reason?: string
}

// A probe that throws is a failing probe, not a crashed endpoint: the orchestrator must see 503.
function runProbe(probe: () => boolean | { reason?: string }, key: 'ready' | 'healthy'): ProbeResult {
  try {
    const r = probe()
    if (typeof r === 'boolean') return { ok: r }
    const ok = (r as Record<string, unknown>)[key] === true
    return r.reason === undefined ? { ok } : { ok, reason: r.reason }
  } catch (err) {
    return { ok: false, reason: `${key} probe threw: ${err instanceof Error ? err.message : String(err)}` }
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  })
  res.end(text)
}

function sendProbe(res: ServerResponse, key: 'ready' | 'healthy', result: ProbeResult): void {
  const body: Record<string, unknown> = { [key]: result.ok }
  if (result.reason !== undefined) body.reason = result.reason
  sendJson(res, result.ok ? 200 : 503, body)
}

async function handle(
  options: HealthServerOptions,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const path = (req.url ?? '/').split('?', 1)[0]
  if (path !== '/metrics' && path !== '/healthz' && path !== '/readyz') {
    sendJson(res, 404, { error: `no route ${path}; try /metrics, /healthz or /readyz` })
    return
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD')
    sendJson(res, 405, { error: `${req.method} not allowed on ${path}` })
    return
  }
  if (path === '/healthz') {
    sendProbe(
      res,
      'healthy',
      options.healthy === undefined ? { ok: true } : runProbe(options.healthy, 'healthy'),
    )
    return
  }
  if (path === '/readyz') {
    sendProbe(res, 'ready', runProbe(options.ready, 'ready'))
    return
  }
  try {
    const text = await options.metrics.text()
    res.writeHead(200, {
      'content-type': options.metrics.contentType,
      'content-length': Buffer.byteLength(text),
    })
    res.end(text)
  } catch (err) {
    sendJson(res, 500, {
      error: `collecting metrics failed: ${err instanceof Error ? err.message : String(err)}`,
    })
  }
}

function listenError(err: NodeJS.ErrnoException, port: number, host: string): Error {
  const fix = 'set metrics.port (or env TRIBUTARY_METRICS_PORT) to a free port, or 0 to pick one'
  if (err.code === 'EADDRINUSE') {
    return new ConfigError('metrics.port', `port ${port} on ${host} is already in use`, fix)
  }
  if (err.code === 'EACCES') {
    return new ConfigError('metrics.port', `no permission to listen on port ${port} on ${host}`, fix)
  }
  return new TributaryError(
    'METRICS_LISTEN_FAILED',
    `metrics server could not listen on ${host}:${port}: ${err.message}`,
    {
      cause: err,
    },
  )
}

export async function startHealthServer(options: HealthServerOptions): Promise<HealthServer> {
  const host = options.host ?? '127.0.0.1'
  const server: Server = createServer((req, res) => {
    void handle(options, req, res)
  })
  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => reject(listenError(err, options.port, host))
    server.once('error', onError)
    server.listen(options.port, host, () => {
      server.off('error', onError)
      resolve()
    })
  })
  const port = (server.address() as AddressInfo).port
  return {
    port,
    host,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err === undefined ? resolve() : reject(err)))
        // A scraper's keep-alive socket would otherwise hold shutdown open until it times out.
        server.closeIdleConnections()
      }),
  }
}
