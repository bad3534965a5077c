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
