import { DecodeError } from '../errors/tributary-error.ts'

/** A tombstone (no value) and an empty value are different records; the reason says which. */
export function emptyPayload(payload: Buffer | null): DecodeError {
  return new DecodeError(
    payload === null
      ? 'the record has no value (a tombstone, e.g. a compacted-topic delete); this topology expects a value'
      : 'the value is empty (0 bytes); this topology expects a value',
    { code: 'EMPTY_PAYLOAD' },
  )
}
