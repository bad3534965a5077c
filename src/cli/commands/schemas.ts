import path from 'node:path'
import { parseArgs } from 'node:util'
import { envelopeSchema } from '../../cdc/debezium-avro.ts'
import type { Command } from '../context.ts'
import { loadTopologies, pickTopologies } from '../topologies.ts'
import { checkSchemas, formatCheck } from './schemas-check.ts'
import { pullSchema } from './schemas-pull.ts'

export const schemas: Command = {
  name: 'schemas',
  summary: 'register (topology -> registry), pull (registry -> schemas/*.ts), check (compatibility)',
  usage: [
    'tributary schemas register                                  every Avro topology schema, subject <topic>-value',
    'tributary schemas pull <subject> [--version N] [--out FILE]   write schemas/<name>.ts from the registry',
    'tributary schemas check [topology...]                        each topology against its latest version; exit 1 if incompatible',
  ].join('\n'),
  async run(args, ctx) {
    const { positionals, values } = parseArgs({
      args,
      allowPositionals: true,
      options: { version: { type: 'string' }, out: { type: 'string' } },
    })
    const [sub, ...rest] = positionals
    const registry = ctx.registry()
    if (sub === 'register') {
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
    }
    if (sub === 'pull' && rest.length === 1) {
      const version = values.version === undefined ? undefined : Number(values.version)
      if (version !== undefined && !(Number.isInteger(version) && version > 0))
        throw new Error(`--version ${values.version} is not a version number; give 1, 2, ...`)
      const pulled = await pullSchema(registry, rest[0]!, {
        ...(version === undefined ? {} : { version }),
        ...(values.out === undefined ? {} : { file: values.out }),
      })
      const file = path.relative(process.cwd(), pulled.file)
      console.log(
        `${pulled.changed ? 'wrote' : 'unchanged'} ${file}\t${pulled.from.subject} v${pulled.from.version} (id ${pulled.from.id})`,
      )
      return 0
    }
    if (sub === 'check') {
      const results = await checkSchemas(await pickTopologies(rest), registry)
      for (const r of results) console.log(formatCheck(r))
      return results.some((r) => r.status === 'incompatible') ? 1 : 0
    }
    throw new Error(`usage:\n${this.usage}`)
  },
}
