import { createRequire } from 'node:module'
import { NO_HEADERS } from '../../records/record.ts'

/**
 * kafkajs decodes each record's offset and timestamp through its Long type: it parses the batch's
 * first offset and first timestamp from their decimal text for every record, adds the record's
 * delta as a Long and prints the sum back to text, and it builds the headers object anew for each
 * header. That was the largest part of kafkajs in the bench profile (~0.7 µs of the engine's
 * ~9 µs per event). This decoder gives the same record from plain numbers: the batch's bases are
 * parsed once per batch, and every offset and timestamp below 2^53 is exact as a number. A record
 * is a FetchedMessage: a few numbers until it is processed. A batch
 * whose numbers could pass 2^53 (never seen: offsets and epoch milliseconds are far below) is left
 * to kafkajs's own decoder.
 *
 * It replaces kafkajs's record decoder module, so it is tied to the kafkajs version it was written
 * for: with another version kafkajs keeps its own (`useFastRecordDecoder` answers false).
 */
const KAFKAJS_VERSION = '2.2.4'
const RECORD_DECODER = 'kafkajs/src/protocol/recordBatch/record/v0/decoder.js'
/** The batch decoder takes the record decoder when it is first loaded (on the first fetch). */
const BATCH_DECODER = 'kafkajs/src/protocol/recordBatch/v0/decoder.js'
const LOG_APPEND_TIME = 1

/** kafkajs's Decoder, as far as a record is read from it. */
interface Decoder {
  buffer: Buffer
  offset: number
}

/** What kafkajs's batch decoder hands to the record decoder (the same object for a batch's records). */
export interface BatchContext {
  readonly firstOffset: string
  readonly firstTimestamp: string
  readonly maxTimestamp: string
  readonly timestampType: number
  readonly magicByte: number
  readonly isControlBatch?: boolean
}

export type RecordDecoder = (decoder: Decoder, batchContext: BatchContext) => unknown

const require = createRequire(import.meta.url)
let installed = false

/**
 * Puts the decoder in place of kafkajs's, for every consumer of this process that has not fetched
 * yet. False when it cannot: another kafkajs version, or a fetch already loaded the original.
 */
export function useFastRecordDecoder(): boolean {
  if (installed) return true
  if ((require('kafkajs/package.json') as { version: string }).version !== KAFKAJS_VERSION) return false
  if (require.cache[require.resolve(BATCH_DECODER)] !== undefined) return false
  const path = require.resolve(RECORD_DECODER)
  const original = require(path) as RecordDecoder
  require.cache[path]!.exports = fastRecordDecoder(original)
  installed = true
  return true
}

/** The decoder, falling back on `original` for a batch whose numbers could pass 2^53. */
export function fastRecordDecoder(original: RecordDecoder): RecordDecoder {
  let batch: BatchContext | undefined
  let baseOffset = 0
  let baseTimestamp = 0
  let logAppendTime: number | undefined
  let exact = false
  return (decoder, context) => {
    if (context !== batch) {
      batch = context
      baseOffset = Number(context.firstOffset)
      baseTimestamp = Number(context.firstTimestamp)
      logAppendTime =
        context.timestampType === LOG_APPEND_TIME && context.maxTimestamp
          ? Number(context.maxTimestamp)
          : undefined
      exact =
        withinDelta(baseOffset) &&
        withinDelta(baseTimestamp) &&
        (logAppendTime === undefined || Number.isSafeInteger(logAppendTime))
    }
    const start = decoder.offset
    if (exact) {
      const record = read(decoder, context, baseOffset, baseTimestamp, logAppendTime)
      if (record !== undefined) return record
      decoder.offset = start
    }
    return original(decoder, context)
  }
}

/** Varints are read as numbers up to this; beyond, the record goes to kafkajs's decoder. */
const MAX_DELTA = 2 ** 48

/** Whether a base plus any delta a record can carry stays exact as a number. */
function withinDelta(base: number): boolean {
  return Number.isSafeInteger(Math.abs(base) + MAX_DELTA)
}

function read(
  d: Decoder,
  context: BatchContext,
  baseOffset: number,
  baseTimestamp: number,
  logAppendTime: number | undefined,
) {
  const attributes = (d.buffer[d.offset++]! << 24) >> 24
  const timestampDelta = readVarLong(d)
  if (timestampDelta === undefined) return undefined
  const offsetDelta = readVarLong(d)
  if (offsetDelta === undefined) return undefined
  const keyLength = readLength(d)
  if (keyLength === undefined) return undefined
  const keyAt = d.offset
  d.offset += Math.max(keyLength, 0)
  const valueLength = readLength(d)
  if (valueLength === undefined) return undefined
  const valueAt = d.offset
  d.offset += Math.max(valueLength, 0)
  // Lengths past the record's end: kafkajs's decoder says what it makes of them.
  if (d.offset > d.buffer.length) return undefined
  const count = readVarLong(d)
  if (count === undefined) return undefined
  // No prototype: a header named __proto__ is a header like any other. Most records have none: they
  // share one empty object (nothing reads a message's headers but toRecord, which only reads them).
  const headers: Record<string, Buffer | null | (Buffer | null)[]> =
    count === 0 ? NO_HEADERS : Object.create(null)
  for (let i = 0; i < count; i++) {
    const length = readVarLong(d)
    // A null header key breaks the protocol; kafkajs's decoder says what it makes of it.
    if (length === undefined || length < 0) return undefined
    const name = d.buffer.toString('utf8', d.offset, d.offset + length)
    d.offset += length
    const v = readBytes(d)
    if (v === undefined) return undefined
    const seen = headers[name]
    headers[name] = seen === undefined ? v : Array.isArray(seen) ? [...seen, v] : [seen, v]
  }
  return new FetchedMessage(
    context,
    attributes,
    logAppendTime ?? baseTimestamp + timestampDelta,
    String(baseOffset + offsetDelta),
    headers,
    d.buffer,
    d.buffer.byteOffset + keyAt,
    keyLength,
    d.buffer.byteOffset + valueAt,
    valueLength,
  )
}

/**
 * A record as kafkajs hands it over, its key and value made views of the fetched bytes only when
 * read (by toRecord, as the record is processed). A whole fetch is decoded at once and held until
 * its last record is processed, so views made at decode time (two Buffers, ~200 bytes of heap per
 * record) outlived young-generation collections and were copied, then promoted, for nothing. It
 * holds the fetch's memory itself, not the Buffer kafkajs makes for each record.
 * The timestamp is a number, where kafkajs gives text: nothing in kafkajs reads it, and toRecord
 * wants a number.
 */
class FetchedMessage {
  readonly magicByte: number
  readonly isControlRecord: boolean
  readonly attributes: number
  readonly timestamp: number
  readonly offset: string
  readonly headers: Record<string, Buffer | null | (Buffer | null)[]>
  readonly batchContext: BatchContext
  readonly #memory: ArrayBufferLike
  /** Where the key and value start in the fetch's memory, from its first byte. */
  readonly #keyAt: number
  readonly #keyLength: number
  readonly #valueAt: number
  readonly #valueLength: number

  constructor(
    context: BatchContext,
    attributes: number,
    timestamp: number,
    offset: string,
    headers: Record<string, Buffer | null | (Buffer | null)[]>,
    record: Buffer,
    keyAt: number,
    keyLength: number,
    valueAt: number,
    valueLength: number,
  ) {
    this.magicByte = context.magicByte
    this.isControlRecord = context.isControlBatch ?? false
    this.attributes = attributes
    this.timestamp = timestamp
    this.offset = offset
    this.headers = headers
    this.batchContext = context
    this.#memory = record.buffer
    this.#keyAt = keyAt
    this.#keyLength = keyLength
    this.#valueAt = valueAt
    this.#valueLength = valueLength
  }

  get key(): Buffer | null {
    return this.#keyLength < 0 ? null : Buffer.from(this.#memory, this.#keyAt, this.#keyLength)
  }

  get value(): Buffer | null {
    return this.#valueLength < 0 ? null : Buffer.from(this.#memory, this.#valueAt, this.#valueLength)
  }
}

/**
 * A zigzag varint (Kafka's varint and varlong alike) as a number, or undefined if it may not be
 * exact (|value| beyond MAX_DELTA): the record then goes to kafkajs's decoder.
 */
function readVarLong(d: Decoder): number | undefined {
  const buf = d.buffer
  let result = 0
  let scale = 1
  let byte: number
  do {
    byte = buf[d.offset++]!
    result += (byte & 0x7f) * scale
    scale *= 128
    if (scale > MAX_DELTA * 2) return undefined
  } while (byte >= 0x80)
  return result % 2 === 0 ? result / 2 : -(result + 1) / 2
}

/** A length-prefixed field's length: -1 for null, undefined where kafkajs's decoder should decide. */
function readLength(d: Decoder): number | undefined {
  const length = readVarLong(d)
  return length === undefined || length < -1 ? undefined : length
}

function readBytes(d: Decoder): Buffer | null | undefined {
  const length = readLength(d)
  if (length === undefined) return undefined
  if (length === -1) return null
  const bytes = d.buffer.subarray(d.offset, d.offset + length)
  d.offset += length
  return bytes
}
