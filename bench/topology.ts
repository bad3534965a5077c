import {
  avro,
  count,
  defineTopology,
  json,
  oneOf,
  range,
  required,
  sum,
  type TopologyLogic,
  tumbling,
} from '../src/index.ts'
import type { AnyTopology } from '../src/topology/define.ts'
import type { Variant } from './dataset.ts'
import { type BenchEvent, benchEventSchema, KINDS } from './event.ts'

/**
 * How much of Tributary a run exercises:
 * - bronze: every record landed raw, nothing decoded;
 * - silver: bronze + decode, rules and typed silver rows;
 * - full: silver + dedup by event id + a 1-minute tumbling gold window per country and kind, with
 *   their state checkpointed.
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
        ? {
            dedup: { name: 'event-id', key: (e: BenchEvent) => e.event_id, retention: '1h' },
            // The dataset's out-of-order events trail by up to 20 s.
            watermark: { outOfOrderness: '20s' },
            gold: [
              {
                name: `${name.replaceAll('-', '_')}_per_minute`,
                window: tumbling({ size: '1m' }),
                groupBy: { country: (e: BenchEvent) => e.country, kind: (e: BenchEvent) => e.kind },
                aggregate: { events: count<BenchEvent>(), amount: sum<BenchEvent>((e) => e.amount) },
              },
            ],
          }
        : {}),
    },
  )
}
