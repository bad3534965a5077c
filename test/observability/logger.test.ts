import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ConfigError, TributaryError } from '../../src/errors/tributary-error.ts'
import { createLogger, REDACTED } from '../../src/observability/logger.ts'

// pino writes synchronously to a plain { write } destination, so lines are here once the call returns.
function capture() {
  const lines: string[] = []
  return { lines, destination: { write: (s: string) => void lines.push(s) } }
}

function records(lines: string[]): Record<string, unknown>[] {
  return lines.map((l) => JSON.parse(l) as Record<string, unknown>)
}

test('JSON lines by default, at info', () => {
  const { lines, destination } = capture()
  const log = createLogger({ destination })
  log.debug('hidden')
  log.info({ topology: 'orders' }, 'started')
  assert.equal(lines.length, 1)
  const [line] = records(lines)
  assert.equal(line?.msg, 'started')
  assert.equal(line?.topology, 'orders')
  assert.equal(line?.level, 30)
})

test('the level option lowers the threshold', () => {
  const { lines, destination } = capture()
  createLogger({ level: 'debug', destination }).debug('shown')
  assert.equal(records(lines)[0]?.msg, 'shown')
})

test('passwords, SASL blocks, authorization headers and tokens are redacted at any logged depth', () => {
  const { lines, destination } = capture()
  const log = createLogger({ destination })
  log.info(
    {
      password: 'hunter2',
      token: 'tok-1',
      config: { kafka: { brokers: ['b:9092'], sasl: { mechanism: 'plain', username: 'u', password: 'p' } } },
      clickhouse: { url: 'http://ch:8123', password: 'ch-secret' },
      req: { headers: { authorization: 'Bearer abc' } },
    },
    'config loaded',
  )
  const raw = lines.join('')
  for (const secret of ['hunter2', 'tok-1', 'ch-secret', 'Bearer abc', '"p"']) {
    assert.ok(!raw.includes(secret), `${secret} leaked: ${raw}`)
  }
  const [line] = records(lines) as Array<{
    password: unknown
    token: unknown
    config: { kafka: { brokers: unknown; sasl: unknown } }
    clickhouse: { url: unknown; password: unknown }
    req: { headers: { authorization: unknown } }
  }>
  assert.equal(line?.password, REDACTED)
  assert.equal(line?.token, REDACTED)
  assert.equal(line?.config.kafka.sasl, REDACTED)
  assert.deepEqual(line?.config.kafka.brokers, ['b:9092'])
  assert.equal(line?.clickhouse.password, REDACTED)
  assert.equal(line?.clickhouse.url, 'http://ch:8123')
  assert.equal(line?.req.headers.authorization, REDACTED)
})

test('child bindings carry topology and partition context', () => {
  const { lines, destination } = capture()
  createLogger({ destination }).child({ topology: 'orders', partition: 2 }).warn('slow batch')
  const [line] = records(lines)
  assert.equal(line?.topology, 'orders')
  assert.equal(line?.partition, 2)
})

test('own errors keep their code and retriable flag', () => {
  const { lines, destination } = capture()
  createLogger({ destination }).error({
    err: new TributaryError('SINK_DOWN', 'ClickHouse refused', { retriable: true }),
  })
  const err = records(lines)[0]?.err as Record<string, unknown>
  assert.equal(err.code, 'SINK_DOWN')
  assert.equal(err.retriable, true)
  assert.equal(err.message, 'ClickHouse refused')
})

test('pretty output is human text, still redacted', () => {
  const { lines, destination } = capture()
  createLogger({ pretty: true, destination }).info({ password: 'hunter2' }, 'pretty hello')
  const raw = lines.join('')
  assert.match(raw, /INFO.*pretty hello/)
  assert.throws(() => JSON.parse(raw))
  assert.ok(!raw.includes('hunter2'))
})

test('an unknown level is a ConfigError listing the valid ones', () => {
  assert.throws(
    () => createLogger({ level: 'verbose' }),
    (err) => err instanceof ConfigError && /'verbose' is not a log level.*debug/.test(err.message),
  )
  assert.throws(() => createLogger({ level: 'toString' }), ConfigError)
})
