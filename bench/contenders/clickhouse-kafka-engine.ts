import { quoteIdent, quoteString, quoteTable } from '../../src/clickhouse/identifiers.ts'
import { type Contender, runName, waitForGroup } from '../contender.ts'
import { countRows, createEventTable, eventColumns } from '../tables.ts'

/**
 * ClickHouse's own Kafka table engine with a materialized view into a MergeTree: the JSON topic,
 * one consumer (the engine's default). The work happens inside the ClickHouse server, so its CPU
 * and sampled peak RSS are the contender's. Done when the engine's group has committed the topic
 * (it commits after each block is written through the view).
 */
export function clickhouseKafkaEngine(): Contender {
  const id = 'clickhouse-kafka-engine'
  return {
    id,
    label: 'ClickHouse Kafka engine + MV → MergeTree',
    variant: 'json',
    async run(ctx) {
      const ch = ctx.clickhouse
      const target = runName(ctx, id)
      const queue = `${target}_queue`
      const view = `${target}_mv`
      const topic = ctx.dataset.topics.json
      // The Kafka table reads stored columns only; the target computes its ALIAS columns itself.
      const columns = (await eventColumns(ch))
        .filter((c) => c.alias === undefined)
        .map((c) => `${quoteIdent(c.name)} ${c.type}`)
        .join(', ')
      await createEventTable(ch, { name: target, orderBy: ['event_time'] })
      const broker = ctx.config.kafka.brokers.join(',')
      await ch.command(
        `CREATE TABLE ${quoteTable(queue)} (${columns}) ENGINE = Kafka(${[broker, topic, target, 'JSONEachRow'].map(quoteString).join(', ')})`,
      )
      const end = await ctx.kafka.endOffsets(topic)
      ctx.servers.start()
      const started = performance.now()
      // Consumption starts when a view is attached to the Kafka table.
      await ch.command(
        `CREATE MATERIALIZED VIEW ${quoteTable(view)} TO ${quoteTable(target)} AS SELECT * FROM ${quoteTable(queue)}`,
      )
      const steadyEventsPerSecond = await waitForGroup(ctx, id, target, topic, end)
      const seconds = (performance.now() - started) / 1000
      const servers = ctx.servers.finish()
      await ch.command(`DROP TABLE ${quoteTable(view)}`)
      await ch.command(`DROP TABLE ${quoteTable(queue)}`)
      return {
        seconds,
        usage: servers.clickhouse,
        runsInside: 'clickhouse',
        servers,
        redisRoundTrips: null,
        steadyEventsPerSecond,
        // No lineage columns in 18.16's Kafka engine, so exactly the produced messages, no more.
        counts: [await countRows(ch, target, ctx.dataset.messages)],
      }
    },
  }
}
