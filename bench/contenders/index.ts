import type { Contender } from '../contender.ts'
import { handWritten } from './baselines.ts'
import { clickhouseKafkaEngine } from './clickhouse-kafka-engine.ts'
import { kcat } from './kcat.ts'
import { tributary } from './tributary.ts'

/**
 * Every contender, in run order: the raw limit first (it also leaves the topics in the page
 * cache for everyone after it), then the baselines, then Tributary from least to most work.
 * The JSON runs of Tributary compare like for like with the JSON-only baselines.
 */
export function allContenders(): Contender[] {
  return [
    kcat('avro'),
    kcat('json'),
    handWritten('kafkajs'),
    handWritten('platformatic'),
    clickhouseKafkaEngine(),
    tributary({ stage: 'bronze', variant: 'avro', store: 'redis' }),
    tributary({ stage: 'silver', variant: 'avro', store: 'redis' }),
    tributary({ stage: 'full', variant: 'avro', store: 'redis' }),
    tributary({ stage: 'full', variant: 'avro', store: 'memory' }),
    tributary({ stage: 'silver', variant: 'json', store: 'redis' }),
    tributary({ stage: 'full', variant: 'json', store: 'redis' }),
  ]
}
