import assert from 'node:assert/strict'
import { test } from 'node:test'
import { defineSchema, defineTopology, json, required } from '../../src/index.ts'
import { buildPipeline } from '../../src/pipeline/pipeline.ts'
import type { KafkaRecord } from '../../src/records/record.ts'
import type { Rejection } from '../../src/records/rejection.ts'
import { bindFormat } from '../../src/serde/bind.ts'
import type { SchemaRegistry } from '../../src/serde/registry.ts'
import { MemorySink } from '../../src/sinks/memory-sink.ts'

const schema = defineSchema({
  type: 'record',
  name: 'Ping',
  fields: [{ name: 'id', type: 'string' }],
})

const record = (offset: number, value: string): KafkaRecord => ({
  topic: 'pings',
  partition: 0,
  offset: String(offset),
  timestamp: 0,
  key: null,
  value: Buffer.from(value),
  headers: {},
})

function run(silver: boolean) {
  const topology = defineTopology(
    { name: 'pings', source: { topics: ['pings'], format: json(schema) }, layers: { silver } },
    { rules: { fields: { id: [required()] } } },
  )
  const bronze = new MemorySink<KafkaRecord>('bronze')
  const silverSink = new MemorySink<unknown>('silver')
  const rejects = new MemorySink<Rejection>('rejects')
  const pipeline = buildPipeline(
    topology,
    bindFormat(topology.definition.source.format, {} as SchemaRegistry),
    { bronze, ...(silver ? { silver: silverSink } : {}), rejects },
  )
  pipeline.push([record(0, '{"id":"a"}'), record(1, 'not json'), record(2, '{"id":""}')])
  return { bronze: bronze.all, silver: silverSink.all, rejects: rejects.all, stats: pipeline.stats }
}

test('with silver, records are decoded and validated, and the bad ones rejected', () => {
  const out = run(true)
  assert.equal(out.bronze.length, 3)
  assert.equal(out.silver.length, 1)
  assert.deepEqual(
    out.rejects.map((r) => r.stage),
    ['decode', 'validate'],
  )
})

test('a bronze-only topology lands every record raw and decodes nothing', () => {
  const out = run(false)
  assert.deepEqual(
    out.bronze.map((r) => r.offset),
    ['0', '1', '2'],
  )
  assert.equal(out.rejects.length, 0, 'nothing decoded, so nothing rejected')
})

test('records are counted in at the entry, so a bronze-only topology counts what it lands', () => {
  for (const silver of [true, false]) assert.equal(run(silver).stats.in, 3, `silver: ${silver}`)
})
