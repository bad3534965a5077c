import { defineSchema, type Infer } from '../src/schema/types.ts'

export const sensorReadingSchema = defineSchema({
  type: 'record',
  name: 'SensorReading',
  namespace: 'tributary.examples',
  doc: 'One reading from a sensor; the JSON example.',
  fields: [
    { name: 'reading_id', type: 'string' },
    { name: 'sensor_id', type: 'string' },
    { name: 'temperature', type: 'double' },
    { name: 'humidity', type: ['null', 'double'], default: null },
    { name: 'site', type: 'string' },
    { name: 'event_time', type: { type: 'long', logicalType: 'timestamp-millis' } },
  ],
})
export type SensorReading = Infer<typeof sensorReadingSchema>

/** Example data for the demo and benchmarks: deterministic in `i`. */
export function sampleReading(i: number, now = Date.now()): SensorReading {
  return {
    reading_id: `r-${i}`,
    sensor_id: `sensor-${i % 50}`,
    temperature: 15 + ((i * 37) % 200) / 10,
    humidity: i % 4 === 0 ? null : 30 + ((i * 13) % 500) / 10,
    site: ['lisbon', 'porto', 'faro'][i % 3]!,
    event_time: now - ((i * 17) % 30_000),
  }
}

/** Parses as JSON, breaks the sensor-readings topology's rules. */
export function invalidReading(i: number, now = Date.now()): SensorReading {
  return { ...sampleReading(i, now), temperature: 400 }
}
