import { DecodeError } from '../errors/tributary-error.ts'
import { emptyPayload } from './empty-payload.ts'
import type { ValueSerde } from './format.ts'
import { duplicateKey, firstInvalidUtf8, type TextPolicy } from './strict-text.ts'

/** JSON values. Decoding only parses; conformance to the schema is checked by the validate stage. */
export function jsonSerde<T>(policy: TextPolicy = {}): ValueSerde<T> {
  const strictUtf8 = policy.invalidUtf8 !== 'replace'
  const strictKeys = policy.duplicateKeys !== 'last'
  return {
    async prepare() {},
    decode(payload) {
      if (payload === null || payload.length === 0) throw emptyPayload(payload)
      if (payload[0] === 0xef && payload[1] === 0xbb && payload[2] === 0xbf)
        throw new DecodeError(
          'the payload starts with a UTF-8 byte order mark (EF BB BF), which JSON does not allow (RFC 8259, section 8.1): the producer must not write one',
          { code: 'JSON_PARSE_FAILED' },
        )
      if (strictUtf8) {
        const at = firstInvalidUtf8(payload)
        if (at !== -1)
          throw new DecodeError(
            `the payload is not UTF-8 text: byte ${at} (0x${payload[at]!.toString(16).padStart(2, '0')}) does not start a valid UTF-8 character; JSON must be UTF-8 (json(schema, { invalidUtf8: 'replace' }) accepts it with U+FFFD instead)`,
            { code: 'INVALID_UTF8' },
          )
      }
      const text = payload.toString('utf8')
      let value: T
      try {
        value = JSON.parse(text) as T
      } catch (cause) {
        throw new DecodeError(`the payload is not valid JSON: ${(cause as Error).message}`, {
          code: 'JSON_PARSE_FAILED',
          cause,
        })
      }
      const dup = strictKeys ? duplicateKey(text) : null
      if (dup !== null)
        throw new DecodeError(
          `an object names the same key twice (${dup}); which value was meant is unknown (json(schema, { duplicateKeys: 'last' }) keeps the last)`,
          { code: 'JSON_DUPLICATE_KEY' },
        )
      return { value, schemaId: null }
    },
    async encode(value) {
      return Buffer.from(JSON.stringify(value))
    },
  }
}
