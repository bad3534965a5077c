import type { Contender } from '../contender.ts'
import { handWritten } from './baselines.ts'
import { clickhouseKafkaEngine } from './clickhouse-kafka-engine.ts'
import { kcat } from './kcat.ts'
import { type TributaryOptions, tributary as tributaryContender } from './tributary.ts'

/**
 * Every contender, in run order: the raw limit first (it also leaves the topics in the page
 * cache for everyone after it), then the baselines, then Tributary from least to most work.
 * The JSON runs of Tributary compare like for like with the JSON-only baselines; the two-process
 * runs show what the second core buys (one consumer group, partitions split between them).
 */
export function allContenders(profileDir?: string): Contender[] {
  const tributary = (o: TributaryOptions) =>
    tributaryContender({ ...o, ...(profileDir ? { profileDir } : {}) })
  return [
    kcat('avro'),
    kcat('json'),
    handWritten('kafkajs'),
    handWritten('platformatic'),
    clickhouseKafkaEngine(),
    tributary({ stage: 'bronze', variant: 'avro', store: 'redis' }),
    tributary({ stage: 'bronze', variant: 'json', store: 'redis' }),
    tributary({ stage: 'bronze', variant: 'json', store: 'redis', instances: 2 }),
    tributary({ stage: 'silver', variant: 'avro', store: 'redis' }),
    tributary({ stage: 'silver', variant: 'avro', store: 'redis', garbage: true }),
    tributary({ stage: 'full', variant: 'avro', store: 'redis' }),
    tributary({ stage: 'full', variant: 'avro', store: 'memory' }),
    tributary({ stage: 'silver', variant: 'json', store: 'redis' }),
    tributary({ stage: 'full', variant: 'json', store: 'redis' }),
    tributary({ stage: 'full', variant: 'avro', store: 'redis', instances: 2 }),
  ]
}
