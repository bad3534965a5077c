import type { Infer, RecordSchema } from '../schema/types.ts'
import { avroSerde } from './avro-serde.ts'
import type { ValueFormat, ValueSerde } from './format.ts'
import { jsonSerde } from './json-serde.ts'
import type { SchemaRegistry } from './registry.ts'

export function bindFormat<S extends RecordSchema>(
  format: ValueFormat<S>,
  registry: SchemaRegistry,
): ValueSerde<Infer<S>> {
  if (format.kind === 'json') return jsonSerde(format.text)
  return avroSerde(format.schema, registry, {
    ...format.text,
    ...(format.lookup === 'any' ? {} : { subject: format.subject }),
  })
}
