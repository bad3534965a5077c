/**
 * TabSeparated field encoding. ClickHouse reads a field up to the next tab or newline and resolves
 * backslash escapes, so only those three bytes must be escaped; carriage return and NUL are
 * escaped too whenever a field is escaped at all, as ClickHouse itself writes them.
 */

const BACKSLASH = 0x5c

/** The escape letter for each byte written escaped (0 = written as it is). */
const ESCAPES = (() => {
  const e = new Uint8Array(256)
  e[0x00] = 0x30 // \0
  e[0x09] = 0x74 // \t
  e[0x0a] = 0x6e // \n
  e[0x0d] = 0x72 // \r
  e[BACKSLASH] = BACKSLASH
  return e
})()

/** Whether `b` can go into a field as it is; three native scans, much cheaper than a JS byte loop. */
export function tsvClean(b: Uint8Array): boolean {
  const buf = b as Buffer
  return buf.indexOf(BACKSLASH) === -1 && buf.indexOf(0x09) === -1 && buf.indexOf(0x0a) === -1
}

/** Writes `b` escaped into `out` at `at` (room for 2 bytes per input byte); returns the new end. */
export function writeTsvEscaped(b: Uint8Array, out: Uint8Array, at: number): number {
  for (let i = 0; i < b.length; i++) {
    const c = b[i]!
    const e = ESCAPES[c]!
    if (e === 0) out[at++] = c
    else {
      out[at++] = BACKSLASH
      out[at++] = e
    }
  }
  return at
}

const NEEDS_ESCAPE = /[\\\t\n\r\0]/
const TEXT_ESCAPES: Record<string, string> = {
  '\\': '\\\\',
  "'": "\\'",
  '\t': '\\t',
  '\n': '\\n',
  '\r': '\\r',
  '\0': '\\0',
}

/** A string as one field. */
export function tsvText(s: string): string {
  return NEEDS_ESCAPE.test(s) ? s.replace(/[\\\t\n\r\0]/g, (c) => TEXT_ESCAPES[c]!) : s
}

const NEEDS_QUOTED_ESCAPE = /[\\'\t\n\r\0]/

/** A string as a quoted literal: how ClickHouse reads strings inside an array or map field. */
export function tsvQuoted(s: string): string {
  return NEEDS_QUOTED_ESCAPE.test(s) ? `'${s.replace(/[\\'\t\n\r\0]/g, (c) => TEXT_ESCAPES[c]!)}'` : `'${s}'`
}

/** An Array(String) field: ClickHouse reads it as quoted literals, with their own escapes. */
export function tsvStringArray(items: readonly string[]): string {
  return `[${items.map(tsvQuoted).join(',')}]`
}

/**
 * An Array(String) field of raw bytes: printable ASCII as it is, every other byte as a `\xHH`
 * escape inside the quoted literal, so any bytes (not only UTF-8 text) are stored exactly.
 */
export function tsvBytesArray(items: readonly (Uint8Array | null)[]): string {
  let out = '['
  for (let i = 0; i < items.length; i++) {
    if (i > 0) out += ','
    out += "'"
    const b = items[i] ?? EMPTY
    for (let j = 0; j < b.length; j++) {
      const c = b[j]!
      out += c >= 0x20 && c < 0x7f && c !== 0x27 && c !== 0x5c ? String.fromCharCode(c) : `\\x${HEX[c]}`
    }
    out += "'"
  }
  return `${out}]`
}

const EMPTY = new Uint8Array(0)
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'))

/** A NULL field (a Nullable column). */
export const TSV_NULL = '\\N'
