import { DecodeError } from '../errors/tributary-error.ts'
import type { ValueSerde } from './format.ts'

/** JSON values. Decoding only parses; conformance to the schema is checked by the validate stage. */
export function jsonSerde<T>(): ValueSerde<T> {
  return {
    async prepare() {},
    decode(payload) {
      if (payload === null || payload.length === 0)
        throw new DecodeError('empty payload', { code: 'EMPTY_PAYLOAD' })
      try {
        return { value: JSON.parse(payload.toString('utf8')) as T, schemaId: null }
      } catch (cause) {
        throw new DecodeError(`not valid JSON: ${(cause as Error).message}`, {
          code: 'JSON_PARSE_FAILED',
          cause,
        })
      }
    },
    async encode(value) {
      return Buffer.from(JSON.stringify(value))
    },
  }
}
