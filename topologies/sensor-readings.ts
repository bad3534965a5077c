import { invalidReading, sampleReading, sensorReadingSchema } from '../schemas/sensor-readings.ts'
import { avg, count, defineTopology, hopping, json, max, min, range, required } from '../src/index.ts'

/** Sensor readings as JSON, checked against the same kind of schema as Avro topics. */
export default defineTopology(
  {
    name: 'sensor-readings',
    entity: 'sensor_readings',
    description: 'Temperature and humidity readings from sensors, JSON in.',
    source: { topics: ['sensor-readings'], format: json(sensorReadingSchema) },
  },
  {
    examples: { valid: (i) => sampleReading(i), invalid: (i) => invalidReading(i), key: (r) => r.sensor_id },
    dedup: { name: 'reading-id', key: (r) => r.reading_id, retention: '1h' },
    eventTime: (r) => r.event_time,
    watermark: { outOfOrderness: '30s' },
    gold: [
      {
        name: 'sensor_stats_10s',
        window: hopping({ size: '10s', hop: '5s' }),
        groupBy: { sensor_id: (r) => r.sensor_id },
        aggregate: {
          readings: count(),
          min_temperature: min((r) => r.temperature),
          max_temperature: max((r) => r.temperature),
          avg_temperature: avg((r) => r.temperature),
          avg_humidity: avg((r) => r.humidity),
        },
      },
    ],
    rules: {
      fields: {
        sensor_id: [required()],
        temperature: [range({ min: -60, max: 90 })],
        humidity: [range({ min: 0, max: 100 })],
      },
    },
  },
)
