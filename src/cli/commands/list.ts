import type { Command } from '../context.ts'
import { loadTopologies } from '../topologies.ts'

export const list: Command = {
  name: 'list',
  summary: 'list the topologies in topologies/',
  usage: 'tributary list',
  async run() {
    for (const t of (await loadTopologies()).values()) {
      const d = t.definition
      console.log(
        `${t.name}\t${d.source.format.kind}\t${d.source.topics.join(',')}\t${Object.values(t.tables).join(',')}`,
      )
    }
    return 0
  },
}
