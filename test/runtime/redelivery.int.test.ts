// Integration: ClickHouse server (the tables), Kafka (the dead-letter topic); the source is the
// in-memory twin, so the test decides exactly what a consumer hands over around a rebalance.
import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { EngineEvents } from '../../src/observability/events.ts'
import { partitionKey } from '../../src/records/partition.ts'
import type { KafkaRecord } from '../../src/records/record.ts'
import { TopologyRunner } from '../../src/runtime/topology-runner.ts'
import { memoryRegistry } from '../../src/serde/registry.ts'
import { createKafka } from '../../src/sources/kafka/client.ts'
import { MemorySource } from '../../src/sources/memory-source.ts'
import { MemoryStateStore } from '../../src/state/memory-store.ts'
import type { AnyTopology } from '../../src/topology/define.ts'
import sensors from '../../topologies/sensor-readings.ts'
import { count, createTopic, isolated, quietLogger, testConfig, testContext } from '../support/engine.ts'

// Epochs only when the test says so (stop), not on a timer.
const config = testConfig({
  TRIBUTARY_SINK_FLUSH_INTERVAL_MS: '600000',
  TRIBUTARY_SINK_MIN_FLUSH_INTERVAL_MS: '600000',
})
const ctx = testContext(config)
after(() => ctx.close())

function records(t: AnyTopology, partition: number, from: number, to: number): KafkaRecord[] {
  const topic = t.definition.source.topics[0]!
  const out: KafkaRecord[] = []
  for (let o = from; o <= to; o++) {
    const value = t.definition.examples!.valid(o)
    out.push({
      topic,
      partition,
      offset: String(o),
      timestamp: Date.now(),
      key: Buffer.from(`k${o}`),
      value: Buffer.from(JSON.stringify(value)),
      headers: {},
    })
  }
  return out
}

test('a rebalance that leaves a partition with its member: records the consumer hands over again (from the committed offset) are not processed twice', async () => {
  const t = isolated(sensors as AnyTopology)
  const topic = t.definition.source.topics[0]!
  await createTopic(config, topic, 1)
  const ch = await ctx.clickhouse()
  const kafka = createKafka(config, quietLogger())
  const source = new MemorySource()
  const runner = new TopologyRunner({
    topology: t,
    config,
    kafka,
    registry: memoryRegistry(),
    clickhouse: ch,
    events: new EngineEvents(),
    logger: quietLogger(),
    stateStore: new MemoryStateStore(),
    source,
  })
  await runner.start()
  source.assign([{ topic, partition: 0 }])
  await source.deliver(records(t, 0, 0, 9))
  // The group rebalances before any epoch landed; partition 0 stays. kafkajs then fetches again
  // from the committed offset (none yet: 0), so offsets 0-9 arrive a second time, then new ones.
  source.rebalancing()
  source.assign([{ topic, partition: 0 }])
  await source.deliver(records(t, 0, 0, 14))
  await runner.stop()
  await runner.done

  assert.equal(await count(ch, t.tables.bronze!, '1', false), 15, 'bronze: each offset once, without FINAL')
  assert.equal(await count(ch, t.tables.silver!, '1', false), 15, 'silver: each offset once, without FINAL')
  assert.equal(source.committed.get(partitionKey(topic, 0)), '15')
})
