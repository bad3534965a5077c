import { type Contender, workerContender } from '../contender.ts'
import { countRows, createEventTable } from '../tables.ts'
import type { BaselineParams } from '../workers/life.ts'

/**
 * The hand-written baseline (bench/workers/*-baseline.ts) on one Kafka client: JSON topic in,
 * one MergeTree table out, created beforehand as a user would.
 */
export function handWritten(client: 'kafkajs' | 'platformatic'): Contender {
  return workerContender({
    id: `hand-written-${client}`,
    label: `hand-written ${client === 'kafkajs' ? 'kafkajs' : '@platformatic/kafka'} → JSONEachRow`,
    variant: 'json',
    async worker(ctx, topic, name) {
      await createEventTable(ctx.clickhouse, {
        name,
        extraColumns: [
          { name: '_partition', type: 'Int32' },
          { name: '_offset', type: 'Int64' },
        ],
        orderBy: ['_partition', '_offset'],
      })
      const params: BaselineParams = {
        brokers: ctx.config.kafka.brokers,
        clickhouseUrl: ctx.config.clickhouse.url,
        topic,
        groupId: name,
        table: name,
      }
      return {
        worker: `${client}-baseline`,
        params,
        groupId: name,
        topic,
        table: name,
        // At-least-once: a replayed batch would be inserted twice, so count distinct offsets.
        counts: async () => [
          await countRows(ctx.clickhouse, name, ctx.dataset.messages, 'uniqExact(_partition, _offset)'),
        ],
      }
    },
  })
}
