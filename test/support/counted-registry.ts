import type { SchemaRegistry } from '../../src/serde/registry.ts'

/** A registry with every read counted: schemaById per id (and how many ran at once), subject listings per subject. */
export function countedRegistry<R extends SchemaRegistry>(registry: R) {
  const byId = new Map<number, number>()
  const listings = new Map<string, number>()
  let inFlight = 0
  let maxInFlight = 0
  const counted: SchemaRegistry = {
    ...registry,
    register: (subject, schema) => registry.register(subject, schema),
    async schemaById(id) {
      byId.set(id, (byId.get(id) ?? 0) + 1)
      maxInFlight = Math.max(maxInFlight, ++inFlight)
      try {
        return await registry.schemaById(id)
      } finally {
        inFlight--
      }
    },
    async subjectVersions(subject) {
      listings.set(subject, (listings.get(subject) ?? 0) + 1)
      return registry.subjectVersions(subject)
    },
    subjectVersionId: (subject, version) => registry.subjectVersionId(subject, version),
  }
  return {
    registry: counted,
    /** schemaById calls per id. */
    byId,
    /** subjectVersions calls per subject. */
    listings,
    get maxInFlight() {
      return maxInFlight
    },
  }
}
