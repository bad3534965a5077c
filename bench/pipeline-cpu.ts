/**
 * CPU per event of Tributary's own processing, with no Kafka, ClickHouse or Redis in the way:
 * the bench dataset's messages (Avro, as the registry frames them) pushed through the full bench
 * topology's pipeline (decode, rules, dedup, 1-minute gold) into its real table sinks, whose rows are
 * encoded as for an insert and then dropped; an epoch (gold's early results, the sinks' blocks taken,
 * the state changes taken) every `--epoch` records, as the runner does. CPU time is the process's
 * own (user + system) and GC pauses are summed, so the figure holds on a busy machine, and two
 * commits can be compared where the whole-stack bench would drown the difference in noise.
 *
 *   node bench/pipeline-cpu.ts [--events N] [--epoch N] [--rounds N] [--stage bronze|silver|full]
 */
import { PerformanceObserver } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { loadConfig } from '../src/config/config.ts'
import { EngineEvents } from '../src/observability/events.ts'
import { buildPipeline } from '../src/pipeline/pipeline.ts'
import { partitionKey } from '../src/records/partition.ts'
import type { KafkaRecord } from '../src/records/record.ts'
import { topologySinks } from '../src/runtime/wiring.ts'
import { bindFormat } from '../src/serde/bind.ts'
import { memoryRegistry } from '../src/serde/registry.ts'
import { columnCheck } from '../src/sinks/clickhouse/capacity.ts'
import type { Block } from '../src/sinks/sink.ts'
import { PartitionStates } from '../src/state/partition-states.ts'
import { eventAt, historyStart } from './event.ts'
import { benchTopology, type Stage } from './topology.ts'

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '300000' },
    epoch: { type: 'string', default: '50000' },
    rounds: { type: 'string', default: '3' },
    stage: { type: 'string', default: 'full' },
    partitions: { type: 'string', default: '6' },
  },
})
const events = Number(values.events)
const epochRecords = Number(values.epoch)
const rounds = Number(values.rounds)
const partitions = Number(values.partitions)
const stage = values.stage as Stage

const topic = 'bench_cpu'
const topology = benchTopology({ name: 'bench-cpu', topic, variant: 'avro', stage })
const features = { dateTime64: false, lowCardinality: false, mapType: false } as never
const registry = memoryRegistry()
const serde = bindFormat(topology.definition.source.format, registry)

// The dataset, framed once (untimed): every 100th message a duplicate, as in bench/dataset.ts.
const base = historyStart(events, Date.now())
const records: KafkaRecord[] = []
const offsets = new Array<number>(partitions).fill(0)
for (let i = 0; i < events; i++) {
  const e = eventAt(i % 100 === 99 ? i - 37 : i, base)
  const partition = i % partitions
  records.push({
    topic,
    partition,
    offset: String(offsets[partition]!++),
    timestamp: e.event_time,
    key: Buffer.from(e.event_id),
    value: await serde.encode(e, topic),
    headers: {},
  })
}
await serde.prepare(
  records.map((r) => r.value),
  topic,
)

let gcMs = 0
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) gcMs += entry.duration
}).observe({ entryTypes: ['gc'] })

for (let round = 1; round <= rounds; round++) {
  const states = new PartitionStates()
  for (let p = 0; p < partitions; p++)
    states.set(topic, p, { offset: null, dedup: new Map(), kv: new Map(), meta: {} })
  const drop = async () => ({ attempts: 1 })
  const none = { sendBlock: async () => {}, retainOnly: async () => {}, close: async () => {} }
  const sinks = topologySinks({
    topology,
    features,
    inserter: { insertRaw: drop } as never,
    deadLetters: { transport: none, refused: none, maxMessageBytes: 1_000_000 },
    config: loadConfig({ env: {} }),
    events: new EngineEvents(),
    ingestTime: () => 0,
    onWait: async () => {},
  })
  const pipeline = buildPipeline(
    topology,
    serde,
    sinks.pipeline,
    { partitions: states, clock: Date.now },
    { columns: columnCheck(topology.definition.source.format.schema, features) },
  )
  let epoch = 0
  const land = async () => {
    pipeline.checkpoint()
    const blocks = new Map<string, Block>()
    for (let p = 0; p < partitions; p++) {
      blocks.set(partitionKey(topic, p), { id: `${epoch}:0-0`, to: '0' })
      states.take(topic, p)
    }
    epoch++
    await Promise.all(sinks.all.map((s) => s.flush(blocks)))
  }
  gcMs = 0
  const cpu = process.cpuUsage()
  const started = performance.now()
  // Batches of one partition, as a fetch hands them over.
  for (let from = 0; from < records.length; from += epochRecords) {
    const slice = records.slice(from, from + epochRecords)
    for (let p = 0; p < partitions; p++) pipeline.push(slice.filter((r) => r.partition === p))
    await land()
  }
  const used = process.cpuUsage(cpu)
  const seconds = (performance.now() - started) / 1000
  // GC entries are delivered on a later turn of the event loop.
  await new Promise((resolve) => setTimeout(resolve, 50))
  const cpuSeconds = (used.user + used.system) / 1e6
  console.log(
    `round ${round}: ${events.toLocaleString('en-US')} events (${stage}) in ${seconds.toFixed(2)} s, ` +
      `CPU ${cpuSeconds.toFixed(2)} s = ${((cpuSeconds * 1e6) / events).toFixed(2)} s per million events ` +
      `(${Math.round(events / cpuSeconds).toLocaleString('en-US')} events per CPU second), GC ${(gcMs / 1000).toFixed(2)} s`,
  )
  pipeline.close()
}
