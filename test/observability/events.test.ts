import assert from 'node:assert/strict'
import { globSync, readFileSync } from 'node:fs'
import { test } from 'node:test'
import { ENGINE_EVENTS, type EngineEventName, EngineEvents } from '../../src/observability/events.ts'
import { subscribeLogger } from '../../src/observability/log-subscriber.ts'
import { createLogger } from '../../src/observability/logger.ts'
import { Metrics } from '../../src/observability/metrics.ts'
import { subscribeMetrics } from '../../src/observability/metrics-subscriber.ts'
import { sample } from './prom-text.ts'

test('the event list is the fixed, namespaced set', () => {
  assert.deepEqual(Object.values(ENGINE_EVENTS).sort(), [
    'checkpoint.end',
    'checkpoint.restore',
    'checkpoint.start',
    'circuit.state',
    'consumer.batch.end',
    'consumer.batch.start',
    'dedup.evicted',
    'rebalance.assigned',
    'rebalance.revoked',
    'record.dead_lettered',
    'records.counted',
    'sink.flush',
    'sink.retry',
    'topology.state',
  ])
})

/** A checkpoint.end's fields beyond its id, duration and size. */
const landed = { committed: true, stateKeys: null, stateMaxKeys: null, openWindows: [], watermarks: [] }

test('listeners get the payload in subscription order and stop after unsubscribing', () => {
  const events = new EngineEvents()
  const seen: string[] = []
  const off = events.on('checkpoint.start', (p) => seen.push(`a:${p.checkpointId}`))
  events.on('checkpoint.start', (p) => seen.push(`b:${p.checkpointId}`))
  events.emit('checkpoint.start', { topology: 'orders', checkpointId: 'c1' })
  off()
  events.emit('checkpoint.start', { topology: 'orders', checkpointId: 'c2' })
  events.emit('checkpoint.end', {
    topology: 'orders',
    checkpointId: 'c2',
    ...landed,
    durationMs: 1,
    bytes: 1,
  })
  assert.deepEqual(seen, ['a:c1', 'b:c1', 'b:c2'])
})

test('a throwing listener is reported and does not stop the others or the emitter', () => {
  const reported: Array<[unknown, EngineEventName]> = []
  const events = new EngineEvents({ onListenerError: (err, name) => reported.push([err, name]) })
  let after = 0
  events.on('sink.flush', () => {
    throw new Error('listener bug')
  })
  events.on('sink.flush', () => after++)
  events.emit('sink.flush', {
    topology: 'orders',
    table: 'gold_revenue',
    layer: 'gold',
    rows: 3,
    durationMs: 5,
    oldestEventTime: null,
  })
  assert.equal(after, 1)
  assert.equal(reported.length, 1)
  assert.equal(reported[0]?.[1], 'sink.flush')
  assert.match(String(reported[0]?.[0]), /listener bug/)
})

test('subscribeMetrics turns events into metrics, and its unsubscribe stops them', async () => {
  const events = new EngineEvents()
  const metrics = new Metrics({ defaultMetrics: false })
  const off = subscribeMetrics(events, metrics)
  const t = 'orders'
  events.emit('sink.retry', {
    topology: t,
    target: 'clickhouse',
    attempt: 1,
    delayMs: 100,
    error: new Error('x'),
  })
  events.emit('circuit.state', { topology: t, target: 'clickhouse', state: 'open', previous: 'closed' })
  events.emit('record.dead_lettered', {
    topology: t,
    stage: 'decode',
    reasonCode: 'DECODE_FAILED',
    count: 4,
    topic: 'orders.v1',
    partition: 0,
    firstOffset: '17',
    message: 'bad magic byte',
  })
  events.emit('sink.flush', {
    topology: t,
    table: 'silver_orders',
    layer: 'silver',
    rows: 10,
    durationMs: 300,
    oldestEventTime: null,
  })
  events.emit('consumer.batch.end', {
    topology: t,
    topic: 'orders.v1',
    partition: 0,
    records: 10,
    lastOffset: '27',
    durationMs: 20,
    lag: 9,
    inFlight: 10,
  })
  events.emit('checkpoint.end', {
    topology: t,
    checkpointId: 'c1',
    durationMs: 200,
    bytes: 5000,
    committed: true,
    stateKeys: 12,
    stateMaxKeys: 50_000,
    openWindows: [['revenue', 3]],
    watermarks: [{ partition: 0, lagMs: 1500 }],
  })
  events.emit('checkpoint.restore', { topology: t, checkpointId: 'c1', durationMs: 3000, keys: 10 })
  events.emit('dedup.evicted', { topology: t, evicted: 7, total: 7, maxKeys: 50_000 })
  events.emit('dedup.evicted', { topology: t, evicted: 5, total: 12, maxKeys: 50_000 })
  events.emit('consumer.batch.end', {
    topology: t,
    topic: 'orders.v1',
    partition: 2,
    records: 1,
    lastOffset: '5',
    durationMs: 1,
    lag: 9,
    inFlight: 11,
  })
  events.emit('rebalance.revoked', { topology: t, partitions: [{ topic: 'orders.v1', partition: 2 }] })
  off()
  events.emit('sink.retry', {
    topology: t,
    target: 'clickhouse',
    attempt: 2,
    delayMs: 200,
    error: new Error('x'),
  })

  const text = await metrics.text()
  assert.equal(sample(text, 'tributary_retries_total', { topology: t, target: 'clickhouse' }), 1)
  assert.equal(sample(text, 'tributary_circuit_state', { topology: t, target: 'clickhouse' }), 2)
  assert.equal(
    sample(text, 'tributary_dead_letters_total', {
      topology: t,
      stage: 'decode',
      reason_code: 'DECODE_FAILED',
    }),
    4,
  )
  assert.equal(
    sample(text, 'tributary_sink_latency_seconds_sum', { topology: t, table: 'silver_orders' }),
    0.3,
  )
  assert.equal(sample(text, 'tributary_batch_duration_seconds_sum', { topology: t, stage: 'process' }), 0.021)
  assert.equal(sample(text, 'tributary_consumer_lag', { topology: t, topic: 'orders.v1', partition: '0' }), 9)
  assert.equal(sample(text, 'tributary_state_keys', { topology: t, store: 'dedup' }), 12)
  assert.equal(sample(text, 'tributary_state_capacity_keys', { topology: t, store: 'dedup' }), 50_000)
  assert.equal(sample(text, 'tributary_state_evicted_keys_total', { topology: t, store: 'dedup' }), 12)
  assert.equal(sample(text, 'tributary_open_windows', { topology: t, window: 'revenue' }), 3)
  assert.equal(sample(text, 'tributary_watermark_lag_seconds', { topology: t, partition: '0' }), 1.5)
  assert.equal(sample(text, 'tributary_checkpoint_duration_seconds_sum', { topology: t }), 0.2)
  assert.equal(sample(text, 'tributary_checkpoint_size_bytes_sum', { topology: t }), 5000)
  assert.equal(sample(text, 'tributary_restore_duration_seconds_sum', { topology: t }), 3)
  assert.equal(
    sample(text, 'tributary_consumer_lag', { topology: t, topic: 'orders.v1', partition: '2' }),
    undefined,
  )
})

test('subscribeLogger writes dead letters and retries as warnings tagged with the event', () => {
  const lines: string[] = []
  const events = new EngineEvents()
  const off = subscribeLogger(
    events,
    createLogger({ destination: { write: (s: string) => void lines.push(s) } }),
  )
  events.emit('consumer.batch.start', {
    topology: 'orders',
    topic: 'o',
    partition: 0,
    records: 5,
    firstOffset: '0',
  })
  events.emit('record.dead_lettered', {
    topology: 'orders',
    stage: 'validate',
    reasonCode: 'RULE_FAILED',
    count: 2,
    topic: 'orders.v1',
    partition: 1,
    firstOffset: '40',
    message: 'amount must be positive',
  })
  events.emit('sink.retry', {
    topology: 'orders',
    target: 'clickhouse',
    attempt: 3,
    delayMs: 400,
    error: new Error('ECONNREFUSED'),
  })
  off()
  events.emit('rebalance.assigned', { topology: 'orders', partitions: [] })
  const logged = lines.map(
    (l) =>
      JSON.parse(l) as {
        event: string
        level: number
        count?: number
        firstOffset?: string
        attempt?: number
        err?: { message: string }
      },
  )
  // The batch start is debug, below the default info level.
  assert.equal(logged.length, 2)
  assert.equal(logged[0]?.event, 'record.dead_lettered')
  assert.equal(logged[0]?.level, 40)
  assert.equal(logged[0]?.count, 2)
  assert.equal(logged[0]?.firstOffset, '40')
  assert.equal(logged[1]?.event, 'sink.retry')
  assert.equal(logged[1]?.err?.message, 'ECONNREFUSED')
  assert.equal(logged[1]?.attempt, 3)
})

test('records.counted feeds the per-operator record counters, quality and rule failures', async () => {
  const events = new EngineEvents()
  const metrics = new Metrics({ defaultMetrics: false })
  subscribeMetrics(events, metrics)
  const t = 'orders'
  events.emit('consumer.batch.start', {
    topology: t,
    topic: 'o',
    partition: 0,
    records: 10,
    firstOffset: '0',
  })
  events.emit('records.counted', {
    topology: t,
    counts: {
      decoded: 9,
      rejectedDecode: 1,
      rejectedValidate: 2,
      valid: 7,
      duplicates: 1,
      late: 0,
      tombstones: 0,
    },
    ruleFailures: [['amount.positive', 2]],
  })
  const text = await metrics.text()
  const records = (operator: string, layer: string, outcome: string) =>
    sample(text, 'tributary_records_total', { topology: t, operator, layer, outcome })
  assert.equal(records('source', 'bronze', 'in'), 10)
  assert.equal(records('validate', 'silver', 'out'), 7)
  assert.equal(records('validate', 'quarantine', 'invalid'), 2)
  assert.equal(records('dedup', 'silver', 'duplicate'), 1)
  assert.equal(sample(text, 'tributary_rule_failures_total', { topology: t, rule: 'amount.positive' }), 2)
})

/** Every .ts file under src/, with its text. */
function sources(): { file: string; text: string }[] {
  return globSync('src/**/*.ts').map((file) => ({ file, text: readFileSync(file, 'utf8') }))
}

test('every declared event is emitted somewhere in src/', () => {
  const code = sources()
    .filter((s) => !s.file.endsWith('observability/events.ts'))
    .map((s) => s.text)
    .join('\n')
  const silent = Object.keys(ENGINE_EVENTS).filter(
    (key) => !new RegExp(`emit\\(\\s*ENGINE_EVENTS\\.${key}\\b`).test(code),
  )
  assert.deepEqual(silent, [])
})

test('metrics are fed through events only: no file but the subscriber calls a Metrics method', () => {
  // `text` is the scrape, the one read.
  const methods = Object.getOwnPropertyNames(Metrics.prototype).filter(
    (m) => !['constructor', 'text'].includes(m),
  )
  const calls = new RegExp(`\\bmetrics\\??\\.(${methods.join('|')})\\(`, 'g')
  const offenders = sources()
    .filter((s) => !s.file.endsWith('observability/metrics-subscriber.ts'))
    .flatMap((s) => [...s.text.matchAll(calls)].map((m) => `${s.file}: ${m[0]}`))
  assert.deepEqual(offenders, [])
})
