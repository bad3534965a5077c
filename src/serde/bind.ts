import { envelopeReader, envelopeSchema } from '../cdc/debezium-avro.ts'
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

/**
 * What a topic's messages decode to: records of the format's schema, or for a change stream the
 * change events around them (Avro: Debezium's envelope, read through each writer's own names).
 */
export function bindSource(
  source: { readonly format: ValueFormat; readonly changes?: unknown },
  registry: SchemaRegistry,
): ValueSerde<unknown> {
  const { format } = source
  if (source.changes === undefined || format.kind === 'json') return bindFormat(format, registry)
  const envelope = envelopeSchema(format.schema) as unknown as RecordSchema
  return avroSerde(envelope, registry, {
    ...format.text,
    readerFor: (writer) => envelopeReader(format.schema, writer),
  })
}
