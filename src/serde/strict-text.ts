/**
 * Text that would change silently on its way to silver: bytes that are not UTF-8 (decoders replace
 * them with U+FFFD) and JSON objects naming a key twice (JSON.parse keeps the last). Both are
 * rejected unless the format opts in (`json(schema, { invalidUtf8: 'replace', duplicateKeys: 'last' })`).
 */
import { isUtf8 } from 'node:buffer'

export interface TextPolicy {
  /** 'reject' (default): the record is quarantined as INVALID_UTF8. 'replace': U+FFFD, as before. */
  readonly invalidUtf8?: 'reject' | 'replace'
  /** JSON only. 'reject' (default): quarantined as JSON_DUPLICATE_KEY. 'last': the last one wins. */
  readonly duplicateKeys?: 'reject' | 'last'
}

/** The offset of the first byte that does not start or continue a valid UTF-8 sequence; -1 if none. */
export function firstInvalidUtf8(b: Uint8Array): number {
  if (isUtf8(b)) return -1
  for (let i = 0; i < b.length; ) {
    const c = b[i]!
    const n =
      c < 0x80 ? 1 : c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0
    if (n === 0 || i + n > b.length || !isUtf8(b.subarray(i, i + n))) return i
    i += n
  }
  return -1
}

/**
 * The first key a JSON object names twice, as `path: "key"`, or null. A single pass over the text
 * that JSON.parse has already accepted: only strings and the structure need tracking.
 */
export function duplicateKey(text: string): string | null {
  // One entry per open object (its keys) or array (keys null); each knows its path for the message.
  const stack: { keys: Set<string> | null; path: string; expectKey: boolean }[] = []
  let lastKey = ''
  const childPath = () => {
    const parent = stack[stack.length - 1]
    if (!parent) return '$'
    return parent.keys === null ? `${parent.path}[]` : `${parent.path}.${lastKey}`
  }
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i)
    if (ch === 0x22) {
      const start = i
      for (i++; text.charCodeAt(i) !== 0x22; i++) if (text.charCodeAt(i) === 0x5c) i++
      const top = stack[stack.length - 1]
      if (top?.keys && top.expectKey) {
        const raw = text.slice(start, i + 1)
        const key = raw.includes('\\') ? (JSON.parse(raw) as string) : raw.slice(1, -1)
        if (top.keys.has(key)) return `${top.path}: ${JSON.stringify(key)}`
        top.keys.add(key)
        top.expectKey = false
        lastKey = key
      }
    } else if (ch === 0x7b) stack.push({ keys: new Set(), path: childPath(), expectKey: true })
    else if (ch === 0x5b) stack.push({ keys: null, path: childPath(), expectKey: false })
    else if (ch === 0x7d || ch === 0x5d) stack.pop()
    else if (ch === 0x2c) {
      const top = stack[stack.length - 1]
      if (top?.keys) top.expectKey = true
    }
  }
  return null
}
