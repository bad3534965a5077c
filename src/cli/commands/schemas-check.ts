import { envelopeRow, envelopeSchema } from '../../cdc/debezium-avro.ts'
import { type FieldDiff, fieldDiff, sameFields } from '../../schema/diff.ts'
import { parseRecordSchema } from '../../schema/parse.ts'
import { resolutionProblem } from '../../serde/avro-types.ts'
import type { SchemaRegistry } from '../../serde/registry.ts'
import type { AnyTopology } from '../../topology/define.ts'

export type CheckResult =
  | { readonly topology: string; readonly subject: string; readonly status: 'not-registered' }
  | {
      readonly topology: string
      readonly subject: string
      readonly status: 'compatible' | 'incompatible'
      readonly version: number
      readonly diff: FieldDiff
      /** The registry's own verdict: it would take the topology's schema after its latest version. */
      readonly registry: boolean
      /** Why the topology could not decode records written with the latest version, if it cannot. */
      readonly decodeProblem?: string
    }

/**
 * Each source subject of an Avro topology against its latest registered version. Incompatible when
 * either the registry refuses the topology's schema under the subject's rule, or the topology could
 * not decode what producers now write (Avro resolution, as decoding does it): a subject set to
 * NONE lets anything in, and the second check still catches it.
 */
export async function checkSchemas(
  topologies: readonly AnyTopology[],
  registry: SchemaRegistry,
): Promise<CheckResult[]> {
  const out: CheckResult[] = []
  for (const t of topologies) {
    const format = t.definition.source.format
    if (format.kind !== 'avro') continue
    for (const topic of t.definition.source.topics) {
      const subject = format.subject(topic)
      const latest = await registry.subjectSchema(subject)
      if (latest === null) {
        out.push({ topology: t.name, subject, status: 'not-registered' })
        continue
      }
      // A change stream's subject holds the Debezium envelope; its row is what the topology declares.
      const changes = t.definition.source.changes !== undefined
      const registered = changes ? envelopeRow(latest.schema, format.schema) : latest.schema
      if (registered === undefined)
        throw new Error(`${subject} version ${latest.version} is not a Debezium envelope`)
      const theirs = parseRecordSchema(registered, `${subject} version ${latest.version}`)
      const accepted = await registry.isCompatible(
        subject,
        (changes ? envelopeSchema(format.schema) : format.schema) as typeof format.schema,
      )
      const decodeProblem = resolutionProblem(format.schema, registered)
      out.push({
        topology: t.name,
        subject,
        status: accepted && decodeProblem === undefined ? 'compatible' : 'incompatible',
        version: latest.version,
        diff: fieldDiff(format.schema, theirs),
        registry: accepted,
        ...(decodeProblem === undefined ? {} : { decodeProblem }),
      })
    }
  }
  return out
}

/** One line per subject, then what differs and why it is incompatible, indented. */
export function formatCheck(r: CheckResult): string {
  if (r.status === 'not-registered')
    return `${r.topology}\t${r.subject}\tnot registered (tributary schemas register)`
  const lines = [`${r.topology}\t${r.subject} v${r.version}\t${r.status}`]
  if (sameFields(r.diff)) lines.push('  same fields')
  for (const [what, names] of [
    ['added in the registry', r.diff.added],
    ['removed in the registry', r.diff.removed],
    ['type changed', r.diff.typeChanged],
  ] as const) {
    if (names.length > 0) lines.push(`  ${what}: ${names.join(', ')}`)
  }
  if (!r.registry)
    lines.push('  the registry refuses the topology schema under the subject compatibility rule')
  if (r.decodeProblem !== undefined)
    lines.push(`  the topology cannot decode version ${r.version}: ${r.decodeProblem}`)
  return lines.join('\n')
}
