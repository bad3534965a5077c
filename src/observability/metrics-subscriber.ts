/**
 * Feeds the metrics that follow from engine events. Record counts are not here: the runtime calls
 * `Metrics.records` per operator directly, since those happen where no event is emitted.
 * Whatever this covers (retries, dead letters, latencies, circuit, checkpoints) the runtime should
 * not also record by hand, or it counts twice.
 */
import { ENGINE_EVENTS as E, type EngineEvents } from './events.ts'
import type { Metrics } from './metrics.ts'

/** Returns a function that removes every subscription it made. */
export function subscribeMetrics(events: EngineEvents, metrics: Metrics): () => void {
  const offs = [
    events.on(E.CONSUMER_BATCH_END, (p) => metrics.batchDuration(p.topology, 'consume', p.durationMs / 1000)),
    events.on(E.SINK_FLUSH, (p) => metrics.sinkLatency(p.topology, p.table, p.durationMs / 1000)),
    events.on(E.SINK_RETRY, (p) => metrics.retries(p.topology, p.target)),
    events.on(E.CIRCUIT_STATE, (p) => metrics.circuitState(p.topology, p.target, p.state)),
    events.on(E.CHECKPOINT_END, (p) => {
      metrics.checkpointDuration(p.topology, p.durationMs / 1000)
      metrics.checkpointSize(p.topology, p.bytes)
    }),
    events.on(E.CHECKPOINT_RESTORE, (p) => metrics.restoreDuration(p.topology, p.durationMs / 1000)),
    events.on(E.REBALANCE_REVOKED, (p) => {
      for (const tp of p.partitions) metrics.forgetPartition(p.topology, tp.topic, tp.partition)
    }),
    events.on(E.RECORD_DEAD_LETTERED, (p) => metrics.deadLetters(p.topology, p.stage, p.reasonCode, p.count)),
  ]
  return () => {
    for (const off of offs) off()
  }
}
