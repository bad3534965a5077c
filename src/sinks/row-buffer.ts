import { tsvClean, writeTsvEscaped } from './clickhouse/tab-separated.ts'

const CHUNK_BYTES = 256 * 1024
/** Text is gathered up to about this many UTF-16 units before it is encoded in one call. */
const PENDING_CHARS = 16 * 1024

/**
 * Insert rows encoded as they are added, into 256 KiB chunks outside the JS heap. A row's strings
 * die young (cheap to collect) instead of surviving until the flush, and the flush sends the
 * chunks as they are: no join, no second encoding pass. Rows are either whole JSONEachRow lines
 * (`add`) or TabSeparated fields written piece by piece and closed with `endRow`, which lets raw
 * payload bytes go in as bytes, never through a JS string.
 */
export class RowBuffer {
  private chunks: Buffer[] = []
  private current = Buffer.allocUnsafe(CHUNK_BYTES)
  private at = 0
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
    this.seal(CHUNK_BYTES)
    const out = this.chunks
    this.chunks = []
    this.count = 0
    return out
  }

  private encodePending(): void {
    const s = this.pending
    if (s.length === 0) return
    // One UTF-16 unit is at most 3 UTF-8 bytes.
    this.room(s.length * 3)
    this.at += this.current.write(s, this.at, 'utf8')
    this.pending = ''
  }

  private room(need: number): void {
    if (this.at + need > this.current.length) this.seal(need)
  }

  private seal(need: number): void {
    if (this.at > 0) this.chunks.push(this.current.subarray(0, this.at))
    if (this.at > 0 || need > this.current.length) {
      this.current = Buffer.allocUnsafe(Math.max(CHUNK_BYTES, need))
      this.at = 0
    }
  }
}
