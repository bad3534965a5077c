import type { RecordSchema } from './types.ts'

/** How `other` differs from `schema`, field by field: what a person adopting it would see change. */
export interface FieldDiff {
  readonly added: readonly string[]
  readonly removed: readonly string[]
  readonly typeChanged: readonly string[]
}

export function fieldDiff(schema: RecordSchema, other: RecordSchema): FieldDiff {
  const mine = new Map(schema.fields.map((f) => [f.name, canonical(f.type)]))
  const theirs = new Map(other.fields.map((f) => [f.name, canonical(f.type)]))
  return {
    added: [...theirs.keys()].filter((n) => !mine.has(n)),
    removed: [...mine.keys()].filter((n) => !theirs.has(n)),
    typeChanged: [...mine].filter(([n, t]) => theirs.has(n) && theirs.get(n) !== t).map(([n]) => n),
  }
}

export function sameFields(d: FieldDiff): boolean {
  return d.added.length + d.removed.length + d.typeChanged.length === 0
}

/** Key order is not meaning: `{type, logicalType}` and `{logicalType, type}` are one type. */
function canonical(v: unknown): string {
  return JSON.stringify(v, (_, x) =>
    typeof x === 'object' && x !== null && !Array.isArray(x)
      ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : 1)))
      : x,
  )
}
