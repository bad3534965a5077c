import { type Contender, workerContender } from '../contender.ts'
import type { Variant } from '../dataset.ts'
import { goldCounts } from '../gold-counts.ts'
import { countRows } from '../tables.ts'
import { benchTopology, type Stage } from '../topology.ts'
import type { TributaryParams } from '../workers/tributary.ts'

export interface TributaryOptions {
  readonly stage: Stage
  readonly variant: Variant
  /** For the stateful (full) stage: Redis, as in production, or the in-memory twin. */
  readonly store?: TributaryParams['store']
  /** Write a V8 CPU profile of the worker into this directory. */
  readonly profileDir?: string
  /** Engine processes in the consumer group (default 1). */
  readonly instances?: number
  /** Read the Avro topic with 20% garbage (bench/garbage.ts) instead of the clean one. */
  readonly garbage?: boolean
}

const STAGE_LABEL = {
  bronze: 'bronze only',
  silver: 'bronze + silver',
  full: 'full (dedup + 1-min gold)',
} as const

/** Tributary's runtime in a worker process (bench/workers/tributary.ts), on one bench topology. */
export function tributary(o: TributaryOptions): Contender {
  const store = o.store ?? 'redis'
  const stateful = o.stage === 'full'
  const instances = o.instances ?? 1
  const scaled = instances > 1 ? `-x${instances}` : ''
  const garbage = o.garbage === true
  const id = `tributary-${o.stage}${stateful ? `-${store}` : ''}-${o.variant}${scaled}${garbage ? '-garbage20' : ''}`
  const state = stateful ? (store === 'redis' ? ', checkpoints to Redis' : ', in-memory state') : ''
  const processes = instances > 1 ? `, ${instances} processes` : ''
  return workerContender({
    id,
    label: `Tributary ${STAGE_LABEL[o.stage]}${state}${processes}${garbage ? ', 20% garbage' : ''}`,
    variant: o.variant,
    ...(garbage ? { topic: (d) => d.garbageTopic } : {}),
    async worker(ctx, topic, name) {
      const params: TributaryParams = { name, topic, variant: o.variant, stage: o.stage, store }
      // The same value the worker runs: table names and gold declarations come from it.
      const topology = benchTopology(params)
      const { bronze, silver, quarantine } = topology.tables
      const { messages, unique } = ctx.dataset
      // Garbage is quarantined, never deduplicated: the garbage row has no dedup stage.
      const rejected = garbage ? ctx.dataset.garbageMessages : 0
      const ch = ctx.clickhouse
      return {
        worker: 'tributary',
        params,
        groupId: `tributary-${name}`,
        topic,
        table: silver ?? bronze!,
        instances,
        nodeFlags: o.profileDir
          ? ['--cpu-prof', `--cpu-prof-dir=${o.profileDir}`, `--cpu-prof-name=${id}.cpuprofile`]
          : [],
        // ReplacingMergeTree on (topic, partition, offset): FINAL collapses any replayed batch.
        counts: async () => [
          await countRows(ch, bronze!, messages, 'count()', true),
          ...(silver
            ? [await countRows(ch, silver, (stateful ? unique : messages) - rejected, 'count()', true)]
            : []),
          await countRows(ch, quarantine, rejected, 'count()', true),
          ...(await goldCounts(ch, topology, ctx.dataset)),
        ],
      }
    },
  })
}
