/**
 * A JSON value as a TypeScript literal laid out the way the project's formatter (biome, line width
 * 110, single quotes, trailing commas) lays it out, so a pulled schema passes `biome check` as
 * written and pulling the same version twice changes no byte. The rules are the formatter's: a
 * value stays on one line when it fits, otherwise an object or array puts one entry per line; an
 * array of several objects with several keys each is always broken.
 */
export const LINE_WIDTH = 110

type Json = null | boolean | number | string | readonly Json[] | { readonly [k: string]: Json }

/**
 * `column`: characters already on the line before the value; `after`: characters that must follow it
 * on the same line (a closing paren, a trailing comma); `indent`: the line's indentation.
 */
export function printLiteral(value: unknown, at: { indent: number; column: number; after: number }): string {
  const v = value as Json
  const flat = inline(v)
  if (!isContainer(v) || isEmpty(v)) return flat
  if (!alwaysBreaks(v) && at.column + flat.length + at.after <= LINE_WIDTH) return flat
  const inner = at.indent + 2
  const pad = ' '.repeat(inner)
  const lines = Array.isArray(v)
    ? v.map((item) => `${pad}${printLiteral(item, { indent: inner, column: inner, after: 1 })},`)
    : Object.entries(v).map(([k, item]) => {
        const key = `${propertyKey(k)}: `
        return `${pad}${key}${printLiteral(item, { indent: inner, column: inner + key.length, after: 1 })},`
      })
  const [open, close] = Array.isArray(v) ? ['[', ']'] : ['{', '}']
  return `${open}\n${lines.join('\n')}\n${' '.repeat(at.indent)}${close}`
}

function inline(v: Json): string {
  if (v === null || typeof v === 'boolean' || typeof v === 'number') return String(v)
  if (typeof v === 'string') return quote(v)
  if (Array.isArray(v)) return `[${v.map(inline).join(', ')}]`
  const entries = Object.entries(v)
  if (entries.length === 0) return '{}'
  return `{ ${entries.map(([k, item]) => `${propertyKey(k)}: ${inline(item)}`).join(', ')} }`
}

function isContainer(v: Json): v is readonly Json[] | { readonly [k: string]: Json } {
  return typeof v === 'object' && v !== null
}

function isEmpty(v: readonly Json[] | { readonly [k: string]: Json }): boolean {
  return Array.isArray(v) ? v.length === 0 : Object.keys(v).length === 0
}

/** The formatter breaks `[{ a, b }, { c, d }]` even when it would fit: a list of records reads better so. */
function alwaysBreaks(v: Json): boolean {
  if (!Array.isArray(v) || v.length < 2) return false
  return v.every(
    (item: Json) =>
      typeof item === 'object' && item !== null && !Array.isArray(item) && Object.keys(item).length > 1,
  )
}

function propertyKey(k: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(k) ? k : quote(k)
}

/** Single quotes unless the text holds more of them than double quotes (then the fewer escapes win). */
function quote(s: string): string {
  const body = JSON.stringify(s).slice(1, -1)
  const singles = (s.match(/'/g) ?? []).length
  const doubles = (s.match(/"/g) ?? []).length
  if (singles > doubles) return `"${body}"`
  return `'${body.replaceAll('\\"', '"').replaceAll("'", "\\'")}'`
}
