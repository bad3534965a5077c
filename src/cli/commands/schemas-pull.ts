import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { TributaryError } from '../../errors/tributary-error.ts'
import { parseRecordSchema } from '../../schema/parse.ts'
import { replaceSchemaLiteral, schemaModule } from '../../schema/schema-file.ts'
import type { SchemaRegistry, SubjectSchema } from '../../serde/registry.ts'

const PACKAGE_ROOT = path.resolve(import.meta.dirname, '../../..')

export interface Pulled {
  readonly file: string
  readonly from: SubjectSchema
  readonly changed: boolean
}

/**
 * Writes a registry version of `subject` as TypeScript: into the `defineSchema(...)` literal of
 * `file` when it exists (nothing else in it changes), else as a new schema module.
 * The default file is `schemas/<subject without -value/-key>.ts`, as the examples are named.
 */
export async function pullSchema(
  registry: SchemaRegistry,
  subject: string,
  opts: { version?: number; file?: string } = {},
): Promise<Pulled> {
  const from = await registry.subjectSchema(subject, opts.version)
  if (from === null)
    throw new TributaryError(
      'SCHEMA_NOT_FOUND',
      `the registry has no ${opts.version === undefined ? 'version' : `version ${opts.version}`} of subject ${subject}; ` +
        'check the subject (e.g. <topic>-value) and version, or register it first',
    )
  const schema = parseRecordSchema(from.schema, `${subject} version ${from.version}`)
  const file = path.resolve(opts.file ?? path.join('schemas', `${subject.replace(/-(value|key)$/, '')}.ts`))
  const before = existsSync(file) ? readFileSync(file, 'utf8') : undefined
  const after =
    before === undefined
      ? schemaModule(schema, importSpecifier(file))
      : replaceSchemaLiteral(before, schema, file)
  if (after !== before) {
    mkdirSync(path.dirname(file), { recursive: true })
    writeFileSync(file, after)
  }
  return { file, from, changed: after !== before }
}

/** Inside this package (its own schemas/), a relative import as the examples have; elsewhere the package. */
function importSpecifier(file: string): string {
  const rel = path.relative(PACKAGE_ROOT, file)
  if (rel.startsWith('..') || path.isAbsolute(rel)) return 'tributary'
  const spec = path
    .relative(path.dirname(file), path.join(PACKAGE_ROOT, 'src/index.ts'))
    .replaceAll(path.sep, '/')
  return spec.startsWith('.') ? spec : `./${spec}`
}
