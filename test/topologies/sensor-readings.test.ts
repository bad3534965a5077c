import assert from 'node:assert/strict'
import { test } from 'node:test'
import { TopologyTestDriver } from '../../src/index.ts'
import sensors from '../../topologies/sensor-readings.ts'

const reading = {
  reading_id: 'r-1',
  sensor_id: 's-1',
  temperature: 21.5,
  humidity: 40,
  site: 'lisbon',
  event_time: 1767261600000,
}

test('a JSON reading is checked against the schema and typed (ISO timestamps become epoch ms)', async () => {
  const driver = new TopologyTestDriver(sensors)
  await driver.pipe({ ...reading, event_time: '2026-01-01T10:00:00.000Z', humidity: undefined })
  assert.deepEqual(driver.silver(), [
    { ...reading, event_time: Date.parse('2026-01-01T10:00:00.000Z'), humidity: null },
  ])
})

test('missing required fields and wrong types are each named', async () => {
  const driver = new TopologyTestDriver(sensors)
  await driver.pipe({ ...reading, sensor_id: undefined, temperature: 'hot' })
  const [r] = driver.rejected()
  assert.deepEqual(r?.rules, ['schema.required', 'schema.type'])
  assert.match(
    r?.reason ?? '',
    /sensor_id: required field is missing; temperature: expected double, got string/,
  )
})

test('a rule violation and broken JSON are rejected at their stage', async () => {
  const driver = new TopologyTestDriver(sensors)
  await driver.pipe({ ...reading, temperature: 150 })
  await driver.pipeBytes(Buffer.from('{"reading_id": '))
  assert.deepEqual(
    driver.rejected().map((r) => [r.stage, r.code, r.rules.join(',')]),
    [
      ['validate', 'RULES_FAILED', 'temperature.range'],
      ['decode', 'JSON_PARSE_FAILED', ''],
    ],
  )
})

test('oversized payloads are dead-lettered before decoding', async () => {
  const driver = new TopologyTestDriver(sensors)
  await driver.pipeBytes(Buffer.alloc(300 * 1024, 0x20))
  assert.equal(driver.rejected()[0]?.code, 'OVERSIZED_PAYLOAD')
})
