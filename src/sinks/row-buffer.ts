const CHUNK_BYTES = 256 * 1024

/**
 * JSONEachRow lines encoded to UTF-8 as they are added, into 256 KiB chunks outside the JS heap.
 * A line's string dies young (cheap to collect) instead of surviving until the flush, and the
 * flush sends the chunks as they are: no join, no second encoding pass.
 */
export class RowBuffer {
  private chunks: Buffer[] = []
  private current = Buffer.allocUnsafe(CHUNK_BYTES)
  private at = 0
  private count = 0

  add(line: string): void {
    // One UTF-16 unit is at most 3 UTF-8 bytes; +1 for the newline.
    const worst = line.length * 3 + 1
    if (this.at + worst > this.current.length) this.seal(worst)
    this.at += this.current.write(line, this.at, 'utf8')
    this.current[this.at++] = 0x0a
    this.count++
  }

  get rows(): number {
    return this.count
  }

  /** The lines so far, newline-terminated; the buffer starts afresh. */
  take(): Buffer[] {
    this.seal(CHUNK_BYTES)
    const out = this.chunks
    this.chunks = []
    this.count = 0
    return out
  }

  private seal(need: number): void {
    if (this.at > 0) this.chunks.push(this.current.subarray(0, this.at))
    if (this.at > 0 || need > this.current.length) {
      this.current = Buffer.allocUnsafe(Math.max(CHUNK_BYTES, need))
      this.at = 0
    }
  }
}
