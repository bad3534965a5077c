import { parseArgs } from 'node:util'
import { envelopeSchema } from '../../cdc/debezium-avro.ts'
import type { Command } from '../context.ts'
import { loadTopologies } from '../topologies.ts'

export const schemas: Command = {
  name: 'schemas',
  summary: 'register every Avro topology schema in the registry (subject <topic>-value)',
  usage: 'tributary schemas register',
  async run(args, ctx) {
    const { positionals } = parseArgs({ args, allowPositionals: true })
    if (positionals[0] !== 'register') throw new Error(`usage: ${this.usage}`)
    const registry = ctx.registry()
    for (const t of (await loadTopologies()).values()) {
      const format = t.definition.source.format
      if (format.kind !== 'avro') continue
      for (const topic of t.definition.source.topics) {
        // A change stream's subject holds the Debezium envelope around the row schema.
        const schema = t.definition.source.changes ? envelopeSchema(format.schema) : format.schema
        const id = await registry.register(format.subject(topic), schema as typeof format.schema)
        console.log(`${format.subject(topic)}\tid ${id}\t(${t.name})`)
      }
    }
    return 0
  },
}
