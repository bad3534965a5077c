import { parseArgs } from 'node:util'
import { describeMermaid, describeText } from '../../topology/describe.ts'
import type { Command } from '../context.ts'
import { pickTopologies } from '../topologies.ts'

export const describe: Command = {
  name: 'describe',
  summary: 'show a topology as a graph: topics -> operators -> tables (lineage)',
  usage: 'tributary describe <topology> [--format text|mermaid]',
  async run(args) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { format: { type: 'string', default: 'text' } },
    })
    if (positionals.length !== 1) throw new Error(`usage: ${this.usage}`)
    const [t] = await pickTopologies(positionals)
    if (values.format !== 'text' && values.format !== 'mermaid')
      throw new Error('--format must be text or mermaid')
    console.log(values.format === 'mermaid' ? describeMermaid(t!) : describeText(t!))
    return 0
  },
}
