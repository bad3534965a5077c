/**
 * The source file of a schema (`schemas/<name>.ts`). A pulled schema replaces only the literal inside
 * the file's one `defineSchema(...)` call, so whatever else a person wrote there (sample records,
 * helpers, the exported type) stays as it is; a file that does not exist yet is written whole, in
 * the form of the example schemas.
 */
import { printLiteral } from './print.ts'
import type { RecordSchema } from './types.ts'

const CALL = 'defineSchema('

/** A new schema module: the schema as `<record>Schema` and its record type as `<Record>`. */
export function schemaModule(schema: RecordSchema, importFrom: string): string {
  const constName = `${schema.name[0]!.toLowerCase()}${schema.name.slice(1)}Schema`
  const head = `export const ${constName} = ${CALL}`
  return [
    `import { defineSchema, type Infer } from '${importFrom}'`,
    '',
    `${head}${printLiteral(schema, { indent: 0, column: head.length, after: 1 })})`,
    `export type ${schema.name} = Infer<typeof ${constName}>`,
    '',
  ].join('\n')
}

/** The file with its `defineSchema(...)` argument replaced by `schema`, laid out where the call stands. */
export function replaceSchemaLiteral(text: string, schema: RecordSchema, file: string): string {
  const { start, end } = schemaLiteralRange(text, file)
  const lineStart = text.lastIndexOf('\n', start - 1) + 1
  const lineEnd = text.indexOf('\n', end) === -1 ? text.length : text.indexOf('\n', end)
  const indent = /^ */.exec(text.slice(lineStart))![0].length
  const literal = printLiteral(schema, { indent, column: start - lineStart, after: lineEnd - end })
  return `${text.slice(0, start)}${literal}${text.slice(end)}`
}

/** Where the argument of the file's one `defineSchema(` call starts and ends (offsets into `text`). */
export function schemaLiteralRange(text: string, file: string): { start: number; end: number } {
  const calls = codeIndexesOf(text, CALL)
  if (calls.length !== 1)
    throw new TypeError(
      `${file} has ${calls.length} defineSchema(...) calls; a pulled schema replaces the literal of exactly one. ` +
        'Fix: keep one schema per file, or pull into a new file with --out',
    )
  const start = calls[0]! + CALL.length
  let depth = 1
  for (let i = start; i < text.length; i = skip(text, i) + 1) {
    const c = text[i]
    if (c === '(' || c === '{' || c === '[') depth++
    else if (c === ')' || c === '}' || c === ']') depth--
    if (depth === 0) return { start, end: i }
  }
  throw new TypeError(`${file}: the defineSchema( call is not closed`)
}

/** Offsets of `needle` outside strings and comments. */
function codeIndexesOf(text: string, needle: string): number[] {
  const out: number[] = []
  for (let i = 0; i < text.length; i = skip(text, i) + 1) {
    if (text.startsWith(needle, i)) out.push(i)
  }
  return out
}

/** The last offset of the string or comment starting at `i`, or `i` itself if none starts there. */
function skip(text: string, i: number): number {
  const c = text[i]
  if (c === '/' && text[i + 1] === '/') return end(text.indexOf('\n', i), 0, text)
  if (c === '/' && text[i + 1] === '*') return end(text.indexOf('*/', i + 2), 1, text)
  if (c !== "'" && c !== '"' && c !== '`') return i
  for (let j = i + 1; j < text.length; j++) {
    if (text[j] === '\\') j++
    else if (text[j] === c) return j
  }
  return text.length
}

function end(found: number, tail: number, text: string): number {
  return found < 0 ? text.length : found + tail
}
