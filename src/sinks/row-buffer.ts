import { tsvClean, writeTsvEscaped } from './clickhouse/tab-separated.ts'

const CHUNK_BYTES = 256 * 1024
/** A buffer's first chunk: one input partition's block of an epoch is often far smaller than 256 KiB. */
const FIRST_CHUNK_BYTES = 16 * 1024
const EMPTY = Buffer.alloc(0)
/** Text is gathered up to about this many UTF-16 units before it is encoded in one call. */
const PENDING_CHARS = 16 * 1024

/**
 * Insert rows encoded as they are added, into chunks outside the JS heap (growing from 16 KiB to
 * 256 KiB as the buffer fills, allocated only when written to). A row's strings
 * die young (cheap to collect) instead of surviving until the flush, and the flush sends the
 * chunks as they are: no join, no second encoding pass. Rows are either whole JSONEachRow lines
 * (`add`) or TabSeparated fields written piece by piece and closed with `endRow`, which lets raw
 * payload bytes go in as bytes, never through a JS string.
 */
export class RowBuffer {
  private chunks: Buffer[] = []
  private current: Buffer = EMPTY
  private at = 0
  /** The next chunk's size: doubles (up to CHUNK_BYTES) each time one fills. */
  private chunkBytes = FIRST_CHUNK_BYTES
  private count = 0
  /**
   * Text not encoded yet. Encoding is a native call (~80 ns each), so text is gathered (string
   * concatenation is cheap) and encoded at once: every ~16k characters, before bytes, at `take`.
   * A TabSeparated row then costs one call for everything between two payloads, and JSON lines
   * one per few dozen rows.
   */
  private pending = ''

  /** One whole line (a JSONEachRow row): counted as a row. */
  add(line: string): void {
    this.pending += line
    this.endRow()
  }

  /** Text, to be encoded as UTF-8 as it is: the caller has escaped it. */
  text(s: string): void {
    this.pending += s
  }

  /** Bytes as one TabSeparated field: copied as they are unless a byte must be escaped. */
  tsvBytes(b: Uint8Array): void {
    this.encodePending()
    if (tsvClean(b)) {
      this.room(b.length + 1)
      this.current.set(b, this.at)
      this.at += b.length
    } else {
      this.room(2 * b.length + 1)
      this.at = writeTsvEscaped(b, this.current, this.at)
    }
  }

  /** Ends a row written in pieces (a newline) and counts it. */
  endRow(): void {
    this.pending += '\n'
    this.count++
    if (this.pending.length >= PENDING_CHARS) this.encodePending()
  }

  get rows(): number {
    return this.count
  }

  /** The rows so far, newline-terminated; the buffer starts afresh. */
  take(): Buffer[] {
    this.encodePending()
    if (this.at > 0) this.chunks.push(this.current.subarray(0, this.at))
    // The rest of the chunk is kept for the next rows; a buffer taken empty allocates nothing.
    this.current = this.current.subarray(this.at)
    this.at = 0
    const out = this.chunks
    this.chunks = []
    this.count = 0
    return out
  }

  private encodePending(): void {
    const s = this.pending
    if (s.length === 0) return
    // As many UTF-8 bytes as UTF-16 units: every character is ASCII, and Latin-1 writes the same
    // bytes as UTF-8, ~4x faster (a copy, not an encoding). Counting first (one fast native pass)
    // costs less than it saves: the full bench's rows are ASCII but for rare payloads, and text
    // encoding was ~9% of the engine's CPU profile.
    const bytes = Buffer.byteLength(s, 'utf8')
    this.room(bytes)
    this.at += this.current.write(s, this.at, bytes === s.length ? 'latin1' : 'utf8')
    this.pending = ''
  }

  private room(need: number): void {
    if (this.at + need > this.current.length) this.seal(need)
  }

  private seal(need: number): void {
    if (this.at > 0) this.chunks.push(this.current.subarray(0, this.at))
    this.current = Buffer.allocUnsafe(Math.max(this.chunkBytes, need))
    this.at = 0
    this.chunkBytes = Math.min(this.chunkBytes * 2, CHUNK_BYTES)
  }
}
