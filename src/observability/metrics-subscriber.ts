/**
 * The one path into the metrics: every metric is fed here, from engine events, and nowhere else
 * (test/observability/events.test.ts holds the code to that).
 */
import { ENGINE_EVENTS as E, type EngineEvents } from './events.ts'
import type { Metrics } from './metrics.ts'

/** Returns a function that removes every subscription it made. */
export function subscribeMetrics(events: EngineEvents, metrics: Metrics): () => void {
  const offs = [
    events.on(E.CONSUMER_BATCH_START, (p) =>
      metrics.records(p.topology, 'source', 'bronze', 'in', p.records),
    ),
    events.on(E.CONSUMER_BATCH_END, (p) => {
      metrics.batchDuration(p.topology, 'process', p.durationMs / 1000)
      metrics.consumerLag(p.topology, p.topic, p.partition, p.lag)
      metrics.inFlight(p.topology, p.inFlight)
    }),
    events.on(E.SINK_FLUSH, (p) => {
      metrics.sinkLatency(p.topology, p.table, p.durationMs / 1000)
      if (p.oldestEventTime !== null) metrics.eventTimeLag(p.topology, p.layer, p.oldestEventTime)
    }),
    events.on(E.SINK_RETRY, (p) => metrics.retries(p.topology, p.target)),
    events.on(E.CIRCUIT_STATE, (p) => metrics.circuitState(p.topology, p.target, p.state)),
    events.on(E.CHECKPOINT_START, (p) => metrics.inFlight(p.topology, 0)),
    events.on(E.CHECKPOINT_END, (p) => {
      metrics.checkpointDuration(p.topology, p.durationMs / 1000)
      if (p.bytes > 0) metrics.checkpointSize(p.topology, p.bytes)
      if (p.committed) metrics.lastCommit(p.topology)
      if (p.stateKeys !== null) metrics.stateKeys(p.topology, 'dedup', p.stateKeys)
      if (p.stateMaxKeys !== null) metrics.stateCapacity(p.topology, 'dedup', p.stateMaxKeys)
      for (const [gold, n] of p.openWindows) metrics.openWindows(p.topology, gold, n)
      for (const w of p.watermarks) metrics.watermarkLag(p.topology, w.partition, w.lagMs / 1000)
    }),
    events.on(E.DEDUP_EVICTED, (p) => metrics.stateEvicted(p.topology, 'dedup', p.evicted)),
    events.on(E.CHECKPOINT_RESTORE, (p) => metrics.restoreDuration(p.topology, p.durationMs / 1000)),
    events.on(E.REBALANCE_REVOKED, (p) => {
      for (const tp of p.partitions) metrics.forgetPartition(p.topology, tp.topic, tp.partition)
    }),
    events.on(E.RECORD_DEAD_LETTERED, (p) => {
      metrics.deadLetters(p.topology, p.stage, p.reasonCode, p.count)
      // Rows ClickHouse refused at insert leave silver after the pipeline counted them valid.
      if (p.stage === 'load') metrics.records(p.topology, 'load', 'quarantine', 'invalid', p.count)
    }),
    events.on(E.TOPOLOGY_STATE, (p) => {
      metrics.topologyUp(p.topology, p.up)
      if (p.restarted) metrics.topologyRestarted(p.topology)
    }),
    events.on(E.RECORDS_COUNTED, ({ topology: t, counts: d, ruleFailures }) => {
      if (d.decoded) metrics.records(t, 'decode', 'silver', 'out', d.decoded)
      if (d.rejectedDecode) metrics.records(t, 'decode', 'quarantine', 'dead_lettered', d.rejectedDecode)
      if (d.rejectedValidate) metrics.records(t, 'validate', 'quarantine', 'invalid', d.rejectedValidate)
      if (d.valid) metrics.records(t, 'validate', 'silver', 'out', d.valid)
      if (d.duplicates) metrics.records(t, 'dedup', 'silver', 'duplicate', d.duplicates)
      if (d.late) metrics.records(t, 'window', 'gold', 'late', d.late)
      if (d.tombstones) metrics.records(t, 'decode', 'bronze', 'tombstone', d.tombstones)
      const validated = d.valid + d.rejectedDecode + d.rejectedValidate
      if (validated > 0) metrics.quality(t, d.valid, validated)
      for (const [rule, n] of ruleFailures) metrics.ruleFailures(t, rule, n)
    }),
  ]
  return () => {
    for (const off of offs) off()
  }
}
