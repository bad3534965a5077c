// Real services: Kafka, Registry, Redis, ClickHouse 18.16 server. Bronze keeps each record as
// received, and the DLQ re-sends it unchanged (issue 12, finding 6).
import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { Kafka, logLevel } from 'kafkajs'
import { sendAll } from '../../src/cli/commands/produce.ts'
import { Engine } from '../../src/runtime/engine.ts'
import { waitFor } from '../../src/testing/wait.ts'
import type { Topology } from '../../src/topology/define.ts'
import orders from '../../topologies/orders.ts'
import sensors from '../../topologies/sensor-readings.ts'
import {
  count,
  createTopic,
  isolated,
  quietLogger,
  testConfig,
  testContext,
  uniqueName,
} from '../support/engine.ts'

const config = testConfig()
const ctx = testContext(config)
after(() => ctx.close())

/** Headers a producer may send: raw bytes, a repeated name, and a name JavaScript treats specially. */
function specialHeaders() {
  const h = JSON.parse('{"__proto__":"x"}') as Record<string, Buffer | string | string[]>
  return Object.assign(Object.create(null), { bin: Buffer.from([0x00, 0xff, 0xfe]), rep: ['a', 'b'] }, h)
}

test('bronze keeps header bytes, repeats and any name, tells a tombstone from an empty value, and records encodings; the DLQ re-sends headers unchanged', async () => {
  const t = isolated(sensors as Topology)
  const other = isolated(orders as Topology)
  const topic = t.definition.source.topics[0]!
  await createTopic(config, topic, 1)
  await createTopic(config, other.definition.source.topics[0]!, 1)
  const reading = Buffer.from(JSON.stringify(t.definition.examples!.valid(0)))
  await sendAll(ctx, topic, [
    { key: Buffer.from([0xff, 0x00, 0x01]), value: reading, headers: specialHeaders() },
    { key: 'tombstone', value: null },
    { key: 'empty', value: Buffer.alloc(0) },
    { key: 'garbage', value: Buffer.from('not json'), headers: specialHeaders() },
  ])
  const engine = new Engine({ config, topologies: [t, other], logger: quietLogger() })
  await engine.start()
  const ch = await ctx.clickhouse()
  try {
    await waitFor(
      '4 in bronze, 1 in silver, 3 in quarantine',
      async () => [
        await count(ch, t.tables.bronze!),
        await count(ch, t.tables.silver!),
        await count(ch, t.tables.quarantine),
      ],
      ([b, s, q]) => b === 4 && s === 1 && q === 3,
    )
    const rows = await ch.query<{
      keys: string[]
      values: string[]
      key_encoding: string
      key: string | null
      value_encoding: string
    }>(
      `SELECT _header_keys AS keys, arrayMap(x -> hex(x), _header_values) AS values, _key_encoding AS key_encoding,
              _key AS key, _value_encoding AS value_encoding FROM ${t.tables.bronze} FINAL ORDER BY _offset`,
    )
    assert.deepEqual(rows[0]!.keys, ['bin', 'rep', 'rep', '__proto__'])
    assert.deepEqual(rows[0]!.values, ['00FFFE', '61', '62', '78'])
    assert.deepEqual(
      [rows[0]!.key_encoding, rows[0]!.key],
      ['base64', Buffer.from([0xff, 0, 1]).toString('base64')],
    )
    assert.deepEqual([rows[1]!.key_encoding, rows[1]!.value_encoding], ['utf8', 'tombstone'])
    assert.equal(rows[2]!.value_encoding, 'utf8')
    assert.deepEqual(rows[1]!.keys, [])

    const received = await readRaw(t.deadLetterTopic, 3)
    const garbage = received.find((m) => m.key?.toString() === 'garbage')!
    assert.deepEqual(garbage.headers!.bin, Buffer.from([0x00, 0xff, 0xfe]))
    assert.deepEqual((garbage.headers!.rep as Buffer[]).map(String), ['a', 'b'])
    // kafkajs' decoder (this reader's too) puts Object.prototype before a __proto__ header's value.
    const proto = [Object.getOwnPropertyDescriptor(garbage.headers, '__proto__')?.value].flat()
    assert.deepEqual(proto.filter((v) => Buffer.isBuffer(v)).map(String), ['x'])
    assert.equal(String(garbage.headers!['tributary.reason.code']), 'JSON_PARSE_FAILED')
    const tombstone = received.find((m) => m.key?.toString() === 'tombstone')!
    assert.equal(tombstone.value, null)
  } finally {
    await engine.stop()
  }
})

async function readRaw(topic: string, expected: number) {
  const kafka = new Kafka({ brokers: [...config.kafka.brokers], logLevel: logLevel.NOTHING })
  const consumer = kafka.consumer({ groupId: uniqueName('raw-reader') })
  const out: { key: Buffer | null; value: Buffer | null; headers?: Record<string, unknown> }[] = []
  await consumer.connect()
  await consumer.subscribe({ topics: [topic], fromBeginning: true })
  await consumer.run({ eachMessage: async ({ message }) => void out.push(message) })
  await waitFor(
    'the DLQ messages',
    async () => out.length,
    (n) => n >= expected,
  )
  await consumer.disconnect()
  return out
}
