import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Metrics } from '../../src/observability/metrics.ts'
import { sample } from './prom-text.ts'

test('record, dead-letter, retry and rule counters carry their labels and add batch counts', async () => {
  const m = new Metrics({ defaultMetrics: false })
  m.records('orders', 'validate', 'silver', 'invalid', 3)
  m.records('orders', 'validate', 'silver', 'invalid', 2)
  m.records('orders', 'validate', 'silver', 'out', 40)
  m.deadLetters('orders', 'decode', 'DECODE_FAILED', 4)
  m.retries('orders', 'clickhouse')
  m.retries('orders', 'clickhouse', 2)
  m.ruleFailures('orders', 'amount_positive', 7)
  const text = await m.text()
  const rec = { topology: 'orders', operator: 'validate', layer: 'silver' }
  assert.equal(sample(text, 'tributary_records_total', { ...rec, outcome: 'invalid' }), 5)
  assert.equal(sample(text, 'tributary_records_total', { ...rec, outcome: 'out' }), 40)
  assert.equal(
    sample(text, 'tributary_dead_letters_total', {
      topology: 'orders',
      stage: 'decode',
      reason_code: 'DECODE_FAILED',
    }),
    4,
  )
  assert.equal(sample(text, 'tributary_retries_total', { topology: 'orders', target: 'clickhouse' }), 3)
  assert.equal(
    sample(text, 'tributary_rule_failures_total', { topology: 'orders', rule: 'amount_positive' }),
    7,
  )
})

test('quality score is valid over total across the whole run, not the last batch', async () => {
  const m = new Metrics({ defaultMetrics: false })
  m.quality('orders', 0, 0)
  assert.equal(sample(await m.text(), 'tributary_quality_score', { topology: 'orders' }), 1)
  m.quality('orders', 9, 10)
  m.quality('orders', 1, 10)
  assert.equal(sample(await m.text(), 'tributary_quality_score', { topology: 'orders' }), 0.5)
})

test('gauges publish the last value; circuit state is 0 closed, 1 half-open, 2 open', async () => {
  const m = new Metrics({ defaultMetrics: false })
  m.consumerLag('orders', 'orders.v1', 3, 120)
  m.inFlight('orders', 500)
  m.inFlight('orders', 20)
  m.circuitState('orders', 'clickhouse', 'open')
  m.circuitState('orders', 'redis', 'half-open')
  m.lastCommit('orders', 1_700_000_000_500)
  m.stateKeys('orders', 'dedup', 42)
  m.openWindows('orders', 'revenue_1m', 6)
  m.watermarkLag('orders', 3, 2.5)
  const text = await m.text()
  assert.equal(
    sample(text, 'tributary_consumer_lag', { topology: 'orders', topic: 'orders.v1', partition: '3' }),
    120,
  )
  assert.equal(sample(text, 'tributary_in_flight_records', { topology: 'orders' }), 20)
  assert.equal(sample(text, 'tributary_circuit_state', { topology: 'orders', target: 'clickhouse' }), 2)
  assert.equal(sample(text, 'tributary_circuit_state', { topology: 'orders', target: 'redis' }), 1)
  assert.equal(
    sample(text, 'tributary_last_commit_timestamp_seconds', { topology: 'orders' }),
    1_700_000_000.5,
  )
  assert.equal(sample(text, 'tributary_state_keys', { topology: 'orders', store: 'dedup' }), 42)
  assert.equal(sample(text, 'tributary_open_windows', { topology: 'orders', window: 'revenue_1m' }), 6)
  assert.equal(sample(text, 'tributary_watermark_lag_seconds', { topology: 'orders', partition: '3' }), 2.5)
})

test('forgetPartition drops the series of a revoked partition and keeps the others', async () => {
  const m = new Metrics({ defaultMetrics: false })
  m.consumerLag('orders', 'orders.v1', 0, 5)
  m.consumerLag('orders', 'orders.v1', 1, 7)
  m.watermarkLag('orders', 1, 3)
  m.forgetPartition('orders', 'orders.v1', 1)
  const text = await m.text()
  assert.equal(
    sample(text, 'tributary_consumer_lag', { topology: 'orders', topic: 'orders.v1', partition: '0' }),
    5,
  )
  assert.equal(
    sample(text, 'tributary_consumer_lag', { topology: 'orders', topic: 'orders.v1', partition: '1' }),
    undefined,
  )
  assert.equal(
    sample(text, 'tributary_watermark_lag_seconds', { topology: 'orders', partition: '1' }),
    undefined,
  )
})

test('histograms land observations in their buckets', async () => {
  const m = new Metrics({ defaultMetrics: false })
  m.batchDuration('orders', 'silver', 0.02)
  m.sinkLatency('orders', 'silver_orders', 0.3)
  m.eventTimeLag('orders', 'gold', 1_000, 4_000)
  // An event stamped in the future by a skewed producer clock counts as no lag.
  m.eventTimeLag('orders', 'bronze', 10_000, 4_000)
  m.checkpointDuration('orders', 0.2)
  m.checkpointSize('orders', 5000)
  m.restoreDuration('orders', 3)
  const text = await m.text()
  const b = (name: string, labels: Record<string, string>, le: string) =>
    sample(text, `${name}_bucket`, { le, ...labels })
  assert.equal(b('tributary_batch_duration_seconds', { topology: 'orders', stage: 'silver' }, '0.01'), 0)
  assert.equal(b('tributary_batch_duration_seconds', { topology: 'orders', stage: 'silver' }, '0.025'), 1)
  assert.equal(b('tributary_sink_latency_seconds', { topology: 'orders', table: 'silver_orders' }, '0.25'), 0)
  assert.equal(b('tributary_sink_latency_seconds', { topology: 'orders', table: 'silver_orders' }, '0.5'), 1)
  assert.equal(b('tributary_event_time_lag_seconds', { topology: 'orders', layer: 'gold' }, '2.5'), 0)
  assert.equal(b('tributary_event_time_lag_seconds', { topology: 'orders', layer: 'gold' }, '5'), 1)
  assert.equal(b('tributary_event_time_lag_seconds', { topology: 'orders', layer: 'bronze' }, '0.1'), 1)
  assert.equal(
    sample(text, 'tributary_event_time_lag_seconds_sum', { topology: 'orders', layer: 'bronze' }),
    0,
  )
  assert.equal(b('tributary_checkpoint_duration_seconds', { topology: 'orders' }, '0.25'), 1)
  assert.equal(b('tributary_checkpoint_size_bytes', { topology: 'orders' }, '4096'), 0)
  assert.equal(b('tributary_checkpoint_size_bytes', { topology: 'orders' }, '16384'), 1)
  assert.equal(b('tributary_restore_duration_seconds', { topology: 'orders' }, '2.5'), 0)
  assert.equal(b('tributary_restore_duration_seconds', { topology: 'orders' }, '5'), 1)
})

test('each Metrics has its own registry: two in one process neither collide nor share counts', async () => {
  const a = new Metrics()
  const b = new Metrics()
  a.records('orders', 'decode', 'bronze', 'in', 10)
  b.records('orders', 'decode', 'bronze', 'in', 1)
  const labels = { topology: 'orders', operator: 'decode', layer: 'bronze', outcome: 'in' }
  assert.equal(sample(await a.text(), 'tributary_records_total', labels), 10)
  assert.equal(sample(await b.text(), 'tributary_records_total', labels), 1)
})

test('default process metrics are on unless turned off; default labels stamp every series', async () => {
  assert.match(await new Metrics().text(), /^process_cpu_user_seconds_total /m)
  const bare = new Metrics({ defaultMetrics: false, defaultLabels: { instance: 'w1' } })
  bare.inFlight('orders', 1)
  const text = await bare.text()
  assert.doesNotMatch(text, /process_cpu_user_seconds_total/)
  assert.equal(sample(text, 'tributary_in_flight_records', { topology: 'orders', instance: 'w1' }), 1)
})
