import { avro, defineTopology, json, oneOf, range, required, type TopologyLogic } from '../src/index.ts'
import type { AnyTopology } from '../src/topology/define.ts'
import type { Variant } from './dataset.ts'
import { type BenchEvent, benchEventSchema, KINDS } from './event.ts'

/**
 * How much of Tributary a run exercises:
 * - bronze: every record landed raw, nothing decoded;
 * - silver: bronze + decode, rules and typed silver rows;
 * - full: silver + dedup by event id with its state checkpointed (and, once the engine's gold
 *   declarations land here, a 1-minute tumbling window).
 */
export type Stage = 'bronze' | 'silver' | 'full'

const rules: TopologyLogic<BenchEvent>['rules'] = {
  fields: {
    event_id: [required()],
    kind: [oneOf(KINDS)],
    amount: [range({ min: 0 })],
  },
}

export function benchTopology(options: {
  name: string
  topic: string
  variant: Variant
  stage: Stage
}): AnyTopology {
  const { name, topic, variant, stage } = options
  const format = variant === 'avro' ? avro(benchEventSchema) : json(benchEventSchema)
  return defineTopology(
    {
      name,
      source: { topics: [topic], format },
      layers: { bronze: true, silver: stage !== 'bronze' },
    },
    {
      eventTime: (e) => e.event_time,
      rules,
      ...(stage === 'full'
        ? { dedup: { name: 'event-id', key: (e: BenchEvent) => e.event_id, retention: '1h' } }
        : {}),
    },
  )
}
