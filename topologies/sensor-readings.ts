import { invalidReading, sampleReading, sensorReadingSchema } from '../schemas/sensor-readings.ts'
import { defineTopology, json, range, required } from '../src/index.ts'

/** Sensor readings as JSON, checked against the same kind of schema as Avro topics. */
export default defineTopology(
  {
    name: 'sensor-readings',
    entity: 'sensor_readings',
    description: 'Temperature and humidity readings from sensors, JSON in.',
    source: { topics: ['sensor-readings'], format: json(sensorReadingSchema) },
  },
  {
    examples: { valid: (i) => sampleReading(i), invalid: (i) => invalidReading(i) },
    dedup: { name: 'reading-id', key: (r) => r.reading_id, retention: '1h' },
    eventTime: (r) => r.event_time,
    rules: {
      fields: {
        sensor_id: [required()],
        temperature: [range({ min: -60, max: 90 })],
        humidity: [range({ min: 0, max: 100 })],
      },
    },
  },
)
