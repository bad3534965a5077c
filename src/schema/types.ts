/**
 * One schema definition drives everything: it is an Avro record schema authored in TypeScript
 * (`as const`), so the record type is inferred from it, the registry gets it as .avsc, validation
 * checks against it and the ClickHouse columns are mapped from it.
 */
export type AvroPrimitive = 'null' | 'boolean' | 'int' | 'long' | 'float' | 'double' | 'bytes' | 'string'

export interface TimestampMillis {
  readonly type: 'long'
  readonly logicalType: 'timestamp-millis'
}
export interface DateDays {
  readonly type: 'int'
  readonly logicalType: 'date'
}
export interface DecimalBytes {
  readonly type: 'bytes'
  readonly logicalType: 'decimal'
  readonly precision: number
  readonly scale: number
}
export interface EnumType {
  readonly type: 'enum'
  readonly name: string
  readonly symbols: readonly string[]
}
export interface ArrayType {
  readonly type: 'array'
  readonly items: FieldType
}
export interface MapType {
  readonly type: 'map'
  readonly values: FieldType
}
export type NullableType = readonly ['null', FieldType]

export type FieldType =
  | AvroPrimitive
  | TimestampMillis
  | DateDays
  | DecimalBytes
  | EnumType
  | ArrayType
  | MapType
  | NullableType

export interface Field {
  readonly name: string
  readonly type: FieldType
  readonly default?: unknown
  readonly doc?: string
}

export interface RecordSchema {
  readonly type: 'record'
  readonly name: string
  readonly namespace?: string
  readonly doc?: string
  readonly fields: readonly Field[]
}

/** The TypeScript value of one Avro type, as Tributary's serdes produce it. */
export type ValueOf<T> = T extends 'null'
  ? null
  : T extends 'boolean'
    ? boolean
    : T extends 'int' | 'long' | 'float' | 'double'
      ? number
      : T extends 'bytes'
        ? Buffer
        : T extends 'string'
          ? string
          : T extends TimestampMillis
            ? number // epoch milliseconds
            : T extends DateDays
              ? number // days since epoch
              : T extends DecimalBytes
                ? number // a JS number: exact up to 15 significant digits
                : T extends EnumType
                  ? T['symbols'][number]
                  : T extends ArrayType
                    ? ValueOf<T['items']>[]
                    : T extends MapType
                      ? Record<string, ValueOf<T['values']>>
                      : T extends readonly ['null', infer U]
                        ? ValueOf<U> | null
                        : never

/** The record type a schema describes. */
export type Infer<S extends RecordSchema> = RecordSchema extends S
  ? Record<string, unknown> // not a literal schema: nothing to infer, and ValueOf<FieldType> would recurse forever
  : { [F in S['fields'][number] as F['name']]: ValueOf<F['type']> }

export function isNullable(t: FieldType): t is NullableType {
  return Array.isArray(t) && t.length === 2 && t[0] === 'null'
}

/** Declares a schema; the identity function keeps the literal type for `Infer`. */
export function defineSchema<const S extends RecordSchema>(schema: S): S {
  return schema
}

export function fullName(schema: RecordSchema): string {
  return schema.namespace ? `${schema.namespace}.${schema.name}` : schema.name
}
