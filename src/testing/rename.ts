import type { RecordSchema } from '../schema/types.ts'
import { defineTopology, type Topology } from '../topology/define.ts'

/**
 * The same topology under another name and topics: its own consumer group, tables and DLQ, so a
 * test (or a blue/green deployment) runs it beside the original without sharing anything.
 */
export function renameTopology<S extends RecordSchema>(
  t: Topology<S>,
  name: string,
  topics: readonly string[] = [name],
): Topology<S> {
  return defineTopology({
    ...t.definition,
    name,
    entity: name.replaceAll('-', '_'),
    source: { ...t.definition.source, topics },
  })
}
