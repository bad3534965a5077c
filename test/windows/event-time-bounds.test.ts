import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ConfigError } from '../../src/errors/tributary-error.ts'
import { defineSchema } from '../../src/schema/types.ts'
import { json } from '../../src/serde/format.ts'
import { defineTopology } from '../../src/topology/define.ts'
import { eventTimeBoundsMs, outOfBounds } from '../../src/windows/event-time-bounds.ts'

const schema = defineSchema({ type: 'record', name: 'E', fields: [{ name: 'at', type: 'long' }] })

test('a bad bound fails when the topology is defined, naming the field and the fix', () => {
  assert.throws(
    () =>
      defineTopology(
        { name: 'e', source: { topics: ['e'], format: json(schema) } },
        { eventTime: (e) => e.at, eventTimeBounds: { future: 'soon' } },
      ),
    (err: unknown) =>
      err instanceof ConfigError &&
      /topology e: eventTimeBounds\.future/.test(err.message) &&
      /'24h'/.test(err.message),
  )
})

test('default: at most a day ahead of the Kafka timestamp, any distance behind', () => {
  const b = eventTimeBoundsMs('e', undefined)
  assert.deepEqual(b, { future: 86_400_000, past: null })
  const ts = Date.UTC(2026, 0, 1)
  assert.equal(outOfBounds(ts + 86_400_000, ts, b, 'at'), null)
  assert.match(
    outOfBounds(ts + 86_400_001, ts, b, 'at') ?? '',
    /at: event time 2026-01-02T00:00:00\.001Z is more than eventTimeBounds\.future/,
  )
  assert.equal(outOfBounds(0, ts, b, 'at'), null)
  assert.match(outOfBounds(Number.NaN, ts, b, 'at') ?? '', /not a time/)
  const strict = eventTimeBoundsMs('e', { future: false, past: '1h' })
  assert.equal(outOfBounds(Date.UTC(9999, 0, 1), ts, strict, 'at'), null)
  assert.match(outOfBounds(ts - 3_600_001, ts, strict, 'at') ?? '', /eventTimeBounds\.past/)
})
