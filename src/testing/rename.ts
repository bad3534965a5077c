import type { RecordSchema } from '../schema/types.ts'
import { defineTopology, type Topology } from '../topology/define.ts'

/**
 * The same topology under another name and topics: its own consumer group, tables (gold ones
 * prefixed with the entity), state and DLQ, so a test (or a blue/green deployment) runs it beside
 * the original without sharing anything.
 */
export function renameTopology<S extends RecordSchema>(
  t: Topology<S>,
  name: string,
  topics: readonly string[] = [name],
): Topology<S> {
  const entity = name.replaceAll('-', '_')
  const gold = t.definition.gold?.map((g) => ({ ...g, name: `${entity}_${g.name}` }))
  return defineTopology({
    ...t.definition,
    name,
    entity,
    source: { ...t.definition.source, topics },
    ...(gold ? { gold } : {}),
  })
}
