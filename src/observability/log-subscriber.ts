/**
 * Turns engine events into log lines, each tagged `event` with the event name so they can be
 * filtered. Levels follow what an operator acts on: retries, open circuits and dead letters warn;
 * rebalances and restores are info; per-batch traffic is debug, since at info it would drown the rest.
 */
import type { Logger } from 'pino'
import { ENGINE_EVENTS as E, type EngineEvents } from './events.ts'

/** Returns a function that removes every subscription it made. */
export function subscribeLogger(events: EngineEvents, logger: Logger): () => void {
  const offs = [
    events.on(E.CONSUMER_BATCH_START, (p) =>
      logger.debug({ event: E.CONSUMER_BATCH_START, ...p }, 'batch start'),
    ),
    events.on(E.CONSUMER_BATCH_END, (p) => logger.debug({ event: E.CONSUMER_BATCH_END, ...p }, 'batch end')),
    events.on(E.SINK_FLUSH, (p) =>
      logger.debug({ event: E.SINK_FLUSH, ...p }, `flushed ${p.rows} rows to ${p.table}`),
    ),
    events.on(E.SINK_RETRY, ({ error, ...p }) =>
      logger.warn({ event: E.SINK_RETRY, ...p, err: error }, `retrying ${p.target} (attempt ${p.attempt})`),
    ),
    events.on(E.CIRCUIT_STATE, (p) => {
      const line = { event: E.CIRCUIT_STATE, ...p }
      const msg = `circuit for ${p.target} ${p.previous} -> ${p.state}`
      if (p.state === 'closed') logger.info(line, msg)
      else logger.warn(line, msg)
    }),
    events.on(E.CHECKPOINT_START, (p) =>
      logger.debug({ event: E.CHECKPOINT_START, ...p }, 'checkpoint start'),
    ),
    events.on(E.CHECKPOINT_END, (p) => logger.debug({ event: E.CHECKPOINT_END, ...p }, 'checkpoint written')),
    events.on(E.CHECKPOINT_RESTORE, (p) =>
      logger.info({ event: E.CHECKPOINT_RESTORE, ...p }, 'state restored'),
    ),
    events.on(E.REBALANCE_ASSIGNED, (p) =>
      logger.info({ event: E.REBALANCE_ASSIGNED, ...p }, `assigned ${p.partitions.length} partitions`),
    ),
    events.on(E.REBALANCE_REVOKED, (p) =>
      logger.info({ event: E.REBALANCE_REVOKED, ...p }, `revoked ${p.partitions.length} partitions`),
    ),
    events.on(E.TOPOLOGY_STATE, (p) =>
      logger.info(
        { event: E.TOPOLOGY_STATE, ...p },
        `topology ${p.topology} ${p.restarted ? 'restarted' : p.up ? 'up' : 'down'}`,
      ),
    ),
    events.on(E.RECORDS_COUNTED, (p) => logger.debug({ event: E.RECORDS_COUNTED, ...p }, 'records counted')),
    events.on(E.DEDUP_EVICTED, (p) =>
      logger.warn(
        { event: E.DEDUP_EVICTED, ...p },
        `dedup evicted ${p.evicted} live keys from memory (${p.total} since start) to stay within dedup.maxKeysInMemory ${p.maxKeys}: a duplicate of an evicted key is not dropped; raise the setting to cover your retention`,
      ),
    ),
    events.on(E.RECORD_DEAD_LETTERED, (p) =>
      logger.warn(
        { event: E.RECORD_DEAD_LETTERED, ...p },
        `dead-lettered ${p.count} records: ${p.reasonCode}`,
      ),
    ),
  ]
  return () => {
    for (const off of offs) off()
  }
}
