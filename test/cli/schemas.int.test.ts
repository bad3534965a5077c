// Real services: the schema registry (Apicurio 3 through its Confluent-compatible API). `schemas pull`
// and `schemas check` against it, in process and as the CLI.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { test } from 'node:test'
import { customerSchema } from '../../schemas/customers.ts'
import { orderSchema } from '../../schemas/orders.ts'
import { sensorReadingSchema } from '../../schemas/sensor-readings.ts'
import { envelopeSchema } from '../../src/cdc/debezium-avro.ts'
import { checkSchemas } from '../../src/cli/commands/schemas-check.ts'
import { pullSchema } from '../../src/cli/commands/schemas-pull.ts'
import { schemaLiteralRange } from '../../src/schema/schema-file.ts'
import { confluentRegistry } from '../../src/serde/registry.ts'
import { topologyDir } from '../../src/testing/engine-process.ts'
import { renameTopology } from '../../src/testing/rename.ts'
import customers from '../../topologies/customers.ts'
import orders from '../../topologies/orders.ts'
import { runCli } from '../support/cli.ts'
import { registerRaw, setSubjectCompatibility } from '../support/registry-rules.ts'
import { stackEndpoints, uniqueName } from '../support/stack.ts'

const ROOT = path.resolve(import.meta.dirname, '../..')

/** The value a file's defineSchema(...) literal evaluates to. */
function literalOf(text: string): unknown {
  const { start, end } = schemaLiteralRange(text, 'pulled')
  return new Function(`return (${text.slice(start, end)})`)()
}

for (const [file, schema] of [
  ['orders', orderSchema],
  ['sensor-readings', sensorReadingSchema],
] as const) {
  test(`schemas pull round-trips ${file}: registered, pulled into a copy of schemas/${file}.ts, not a byte changes; into a new file, the same schema`, async () => {
    const { registryUrl } = await stackEndpoints('registry')
    const registry = confluentRegistry(registryUrl)
    const subject = uniqueName(`${file}-pull-value`)
    const id = await registry.register(subject, schema)
    const dir = mkdtempSync(path.join(tmpdir(), 'tributary-pull-'))

    const original = readFileSync(path.join(ROOT, 'schemas', `${file}.ts`), 'utf8')
    const copy = path.join(dir, `${file}.ts`)
    writeFileSync(copy, original)
    const pulled = await pullSchema(registry, subject, { file: copy })
    assert.deepEqual([pulled.from.id, pulled.from.version, pulled.changed], [id, 1, false])
    assert.equal(readFileSync(copy, 'utf8'), original)

    const fresh = path.join(dir, 'new.ts')
    assert.equal((await pullSchema(registry, subject, { file: fresh })).changed, true)
    const text = readFileSync(fresh, 'utf8')
    assert.deepEqual(literalOf(text), JSON.parse(JSON.stringify(schema)))
    assert.match(text, /^import \{ defineSchema, type Infer \} from 'tributary'$/m)
    assert.match(text, new RegExp(`^export type ${schema.name} = Infer<typeof `, 'm'))
    // The project's formatter and linter take the new file as written (stdin: --write prints the fixed text).
    const biome = spawnSync(
      path.join(ROOT, 'node_modules/.bin/biome'),
      ['check', '--write', `--stdin-file-path=${path.join(ROOT, 'schemas', 'pulled.ts')}`],
      { cwd: ROOT, input: text, encoding: 'utf8' },
    )
    assert.equal(biome.status, 0, biome.stderr)
    assert.equal(biome.stdout, text)
  })
}

test('schemas pull keeps what a person wrote around the literal, and takes --version', async () => {
  const { registryUrl } = await stackEndpoints('registry')
  const registry = confluentRegistry(registryUrl)
  const subject = uniqueName('orders-versions-value')
  await registry.register(subject, orderSchema)
  const v2 = {
    ...orderSchema,
    fields: [...orderSchema.fields, { name: 'channel', type: ['null', 'string'], default: null }],
  }
  await registry.register(subject, v2)
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'tributary-pull-')), 'orders.ts')
  const original = readFileSync(path.join(ROOT, 'schemas/orders.ts'), 'utf8')
  writeFileSync(file, original)

  const latest = await pullSchema(registry, subject, { file })
  assert.deepEqual([latest.from.version, latest.changed], [2, true])
  const text = readFileSync(file, 'utf8')
  assert.deepEqual(literalOf(text), v2)
  const { end } = schemaLiteralRange(original, 'orders.ts')
  assert.ok(
    text.endsWith(original.slice(end)),
    'everything after the literal (helpers, sample records) as it was',
  )

  assert.equal((await pullSchema(registry, subject, { file, version: 1 })).changed, true)
  assert.equal(readFileSync(file, 'utf8'), original)
  await assert.rejects(pullSchema(registry, subject, { file, version: 3 }), /no version 3 of subject/)
})

test('schemas check reports a registered incompatible version with the fields that differ, and exits 1', async () => {
  const { registryUrl } = await stackEndpoints('registry')
  const registry = confluentRegistry(registryUrl)
  const name = uniqueName('check').replaceAll('_', '-')
  const t = renameTopology(orders, name)
  const subject = `${name}-value`
  await registry.register(subject, orderSchema)

  const same = await checkSchemas([t], registry)
  assert.deepEqual(
    same.map((r) => [r.status, r.status === 'not-registered' ? null : r.diff]),
    [['compatible', { added: [], removed: [], typeChanged: [] }]],
  )

  // A producer's version the topology cannot read: currency a number now, coupon gone, a required field new.
  const fields = orderSchema.fields
    .filter((f) => f.name !== 'coupon')
    .map((f) => (f.name === 'currency' ? { name: 'currency', type: 'long' } : f))
  await setSubjectCompatibility(registryUrl, subject, 'NONE')
  await registerRaw(registryUrl, subject, {
    ...orderSchema,
    fields: [...fields, { name: 'channel', type: 'string' }],
  })
  await setSubjectCompatibility(registryUrl, subject, 'BACKWARD')

  const [r] = await checkSchemas([t], registry)
  assert.ok(r && r.status === 'incompatible')
  assert.equal(r.version, 2)
  assert.deepEqual(r.diff, { added: ['channel'], removed: ['coupon'], typeChanged: ['currency'] })
  assert.equal(r.registry, false)
  assert.match(r.decodeProblem ?? '', /currency/)

  // Under NONE the registry takes anything; decoding still refuses, so check still says incompatible.
  await setSubjectCompatibility(registryUrl, subject, 'NONE')
  const [none] = await checkSchemas([t], registry)
  assert.ok(none && none.status === 'incompatible' && none.registry === true)

  const { code, output: out } = await runCli(['schemas', 'check'], {
    TRIBUTARY_TOPOLOGIES_DIR: topologyDir('orders', name),
  })
  assert.equal(code, 1, out)
  assert.match(out, new RegExp(`^${name}\\t${subject} v2\\tincompatible$`, 'm'))
  assert.match(out, /^ {2}added in the registry: channel$/m)
  assert.match(out, /^ {2}removed in the registry: coupon$/m)
  assert.match(out, /^ {2}type changed: currency$/m)
})

test('--help lists schemas pull and check', async () => {
  const top = await runCli(['--help'])
  assert.match(top.output, /schemas +register .*pull .*check/)
  const sub = await runCli(['schemas', '--help'])
  assert.match(sub.output, /tributary schemas pull <subject> \[--version N\]/)
  assert.match(sub.output, /tributary schemas check/)
})

test('schemas check: a change the registry allows (decimal bytes -> string) but decoding refuses is incompatible', async () => {
  const { registryUrl } = await stackEndpoints('registry')
  const registry = confluentRegistry(registryUrl)
  const name = uniqueName('check-promoted').replaceAll('_', '-')
  const subject = `${name}-value`
  await registry.register(subject, orderSchema)
  await setSubjectCompatibility(registryUrl, subject, 'BACKWARD')
  const fields = orderSchema.fields.map((f) => (f.name === 'amount' ? { name: 'amount', type: 'string' } : f))
  await registerRaw(registryUrl, subject, { ...orderSchema, fields })

  const [r] = await checkSchemas([renameTopology(orders, name)], registry)
  assert.ok(r && r.status === 'incompatible')
  assert.equal(r.registry, true, 'Avro promotes string to bytes, so the registry takes it')
  assert.deepEqual(r.diff.typeChanged, ['amount'])
  assert.match(r.decodeProblem ?? '', /^field amount: /)
})

test("schemas check holds a change stream's registered Debezium envelope against the topology's row", async () => {
  const { registryUrl } = await stackEndpoints('registry')
  const registry = confluentRegistry(registryUrl)
  const t = renameTopology(customers, uniqueName('cdc-check').replaceAll('_', '-'))
  const format = t.definition.source.format
  const subject = format.subject(t.definition.source.topics[0]!)
  await registry.register(subject, envelopeSchema(customerSchema) as never)
  const [same] = await checkSchemas([t], registry)
  assert.ok(same && same.status === 'compatible', JSON.stringify(same))
  assert.deepEqual(same.diff, { added: [], removed: [], typeChanged: [] })

  // The source table gains a nullable column: the envelope's row has it, the topology not yet.
  const wider = {
    ...customerSchema,
    fields: [...customerSchema.fields, { name: 'segment', type: ['null', 'string'], default: null }],
  }
  await registry.register(subject, envelopeSchema(wider as never) as never)
  const [added] = await checkSchemas([t], registry)
  assert.ok(added && added.status === 'compatible', JSON.stringify(added))
  assert.equal(added.version, 2)
  assert.deepEqual(added.diff, { added: ['segment'], removed: [], typeChanged: [] })
})
