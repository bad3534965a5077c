// Real services: Kafka, Schema Registry (Apicurio), Redis, and ClickHouse: the 18.16 server, chDB 26
// and (TRIBUTARY_STACK_CLUSTER=1) the 18.16 cluster. The schema workflow as an owner runs it, with
// engines as separate processes: a producer registers a version with a new field, `schemas check`
// names it, `schemas pull` writes it into the topology's schema file, and restarting only the engine
// adds the silver column before the rows carrying it land.
import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { test } from 'node:test'
import { Kafka, logLevel } from 'kafkajs'
import { clusterEnv, holdCluster } from '../../scripts/chaos/cluster.ts'
import { createClickHouse } from '../../src/clickhouse/connect.ts'
import { clusterEndpointsFromEnv, endpointsFromEnv } from '../../src/config/endpoints.ts'
import { avroSerde } from '../../src/serde/avro-serde.ts'
import { confluentRegistry } from '../../src/serde/registry.ts'
import { spawnEngine } from '../../src/testing/engine-process.ts'
import { runCli } from '../support/cli.ts'
import { sql } from '../support/clickhouse-http.ts'
import { createTopic, testConfig, uniqueName } from '../support/engine.ts'
import { clusterModeSkip, stackEndpoints } from '../support/stack.ts'

const ROOT = path.resolve(import.meta.dirname, '../..')
const config = testConfig()

const v1 = {
  type: 'record',
  name: 'Reading',
  namespace: 'tributary.evolve',
  fields: [
    { name: 'reading_id', type: 'string' },
    { name: 'value', type: 'double' },
  ],
}
const v2 = { ...v1, fields: [...v1.fields, { name: 'unit', type: ['null', 'string'], default: null }] }

interface Target {
  readonly label: string
  readonly skip: false | string
  env(dir: string): Record<string, string>
  /** `SELECT` answers as TSV, after the last engine exited. */
  read(dir: string, query: string): Promise<string>
}

const TARGETS: readonly Target[] = [
  {
    label: 'ClickHouse 18.16',
    skip: false,
    env: () => ({}),
    read: (_, q) => sql(endpointsFromEnv().clickhouseUrl, `${q} FORMAT TSV`),
  },
  {
    label: 'chDB 26',
    skip: false,
    env: (dir) => ({ TRIBUTARY_CLICKHOUSE_URL: `chdb://${dir}/chdb` }),
    async read(dir, q) {
      const ch = await createClickHouse(`chdb://${dir}/chdb`)
      try {
        const rows = await ch.query<Record<string, unknown>>(q)
        return rows.map((r) => `${Object.values(r).join('\t')}\n`).join('')
      } finally {
        await ch.close()
      }
    },
  },
  {
    label: 'a ClickHouse 18.16 cluster',
    skip: clusterModeSkip,
    env: () => clusterEnv(),
    read: (_, q) => sql(clusterEndpointsFromEnv().clickhouseShards[0]![0]!, `${q} FORMAT TSV`),
  },
]

/** The CLI, which must succeed; what it printed. */
async function cli(args: string[], env: Record<string, string>): Promise<string> {
  const { code, output } = await runCli(args, env)
  assert.equal(code, 0, `tributary ${args.join(' ')}:\n${output}`)
  return output
}

async function runUntilIdle(topologies: string, env: Record<string, string>): Promise<void> {
  const engine = spawnEngine(topologies, ['--until-idle', '1000'], env)
  const { code } = await engine.exited
  assert.equal(code, 0, engine.output())
}

async function produce(topic: string, schema: object, values: object[]): Promise<void> {
  const serde = avroSerde<object>(schema as never, confluentRegistry(endpointsFromEnv().registryUrl))
  const producer = new Kafka({ brokers: [...config.kafka.brokers], logLevel: logLevel.NOTHING }).producer()
  await producer.connect()
  try {
    const messages = await Promise.all(values.map(async (v) => ({ value: await serde.encode(v, topic) })))
    await producer.send({ topic, messages })
  } finally {
    await producer.disconnect()
  }
}

/**
 * A project as a user has it: `tributary` installed, a topology importing its schema from schemas/,
 * and that schema file written by `schemas pull`.
 */
function project(name: string): { dir: string; topologies: string; schemaFile: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'tributary-evolve-'))
  mkdirSync(path.join(dir, 'node_modules'))
  symlinkSync(ROOT, path.join(dir, 'node_modules', 'tributary'))
  const topologies = path.join(dir, 'topologies')
  mkdirSync(topologies)
  writeFileSync(
    path.join(topologies, `${name}.ts`),
    [
      "import { avro, defineTopology } from 'tributary'",
      "import { readingSchema } from '../schemas/reading.ts'",
      '',
      `export default defineTopology({ name: '${name}', source: { topics: ['${name}'], format: avro(readingSchema) } })`,
      '',
    ].join('\n'),
  )
  return { dir, topologies, schemaFile: path.join(dir, 'schemas', 'reading.ts') }
}

for (const target of TARGETS) {
  test(`${target.label}: a field a producer added becomes a silver column once pulled and only the engine restarted`, {
    skip: target.skip,
  }, async (tc) => {
    if (target.label.includes('cluster')) tc.after(await holdCluster())
    await stackEndpoints()
    const name = uniqueName('evolve')
    const subject = `${name}-value`
    const silver = `silver_${name.replaceAll('-', '_')}`
    const { dir, topologies, schemaFile } = project(name)
    const env = { ...target.env(dir), TRIBUTARY_TOPOLOGIES_DIR: topologies }

    await confluentRegistry(endpointsFromEnv().registryUrl).register(subject, v1)
    await cli(['schemas', 'pull', subject, '--out', schemaFile], env)
    await createTopic(config, name, 1)
    await produce(
      name,
      v1,
      [0, 1, 2, 3, 4].map((i) => ({ reading_id: `r-${i}`, value: i })),
    )
    await runUntilIdle(topologies, env)

    // The producer moves on: v2 registers on its first send, its records carry the new field.
    await produce(
      name,
      v2,
      [5, 6, 7, 8, 9].map((i) => ({ reading_id: `r-${i}`, value: i, unit: 'C' })),
    )
    const check = await cli(['schemas', 'check'], env)
    assert.match(
      check,
      new RegExp(`^${name}\\t${subject} v2\\tcompatible\\n {2}added in the registry: unit$`, 'm'),
    )
    assert.match(await cli(['schemas', 'pull', subject, '--out', schemaFile], env), /^wrote .* v2 /m)
    assert.match(readFileSync(schemaFile, 'utf8'), /name: 'unit', type: \['null', 'string'\], default: null/)
    await runUntilIdle(topologies, env)

    const columns = await target.read(
      dir,
      `SELECT name, type FROM system.columns WHERE database = currentDatabase() AND table = '${silver}' AND name = 'unit'`,
    )
    assert.equal(columns, 'unit\tNullable(String)\n')
    assert.equal(
      await target.read(dir, `SELECT count(), countIf(unit = 'C'), countIf(isNull(unit)) FROM ${silver}`),
      '10\t5\t5\n',
    )
    if (target.label.includes('cluster')) {
      // Every server's local table has the column (ON CLUSTER), and the Distributed one on each too.
      for (const url of clusterEndpointsFromEnv().clickhouseShards.flat()) {
        const local = await sql(
          url,
          `SELECT table FROM system.columns WHERE database = currentDatabase() AND table IN ('${silver}', '${silver}_local') AND name = 'unit' ORDER BY table FORMAT TSV`,
        )
        assert.equal(local, `${silver}\n${silver}_local\n`, url)
      }
    }
  })
}
