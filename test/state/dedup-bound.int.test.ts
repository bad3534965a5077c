// Real services: Kafka, Schema Registry (Apicurio), Redis, ClickHouse 18.16 server. The engine runs
// as separate OS processes, twice (a restart between them), with the smallest dedup bound.
import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { prepareChaos, produceRest, startEngine, verifyChaos } from '../../scripts/chaos/harness.ts'
import { CliContext } from '../../src/cli/context.ts'
import type { EngineProcess } from '../../src/testing/engine-process.ts'
import { testConfig } from '../support/engine.ts'

const ctx = new CliContext(testConfig())
const engines: EngineProcess[] = []
after(async () => {
  for (const e of engines) e.child.kill('SIGKILL')
  await ctx.close()
})

/** The engine's `dedup.evicted` warnings: what it evicted, and the bound it names. */
function evictions(e: EngineProcess): { total: number; maxKeys: number }[] {
  return e
    .output()
    .split('\n')
    .filter((l) => l.includes('"event":"dedup.evicted"'))
    .map((l) => JSON.parse(l) as { total: number; maxKeys: number })
}

test('with more keys than dedup.maxKeysInMemory, memory evicts (counted) while duplicates are still dropped, across a restart', async () => {
  const maxKeys = 10_000
  // 30k orders over 4 partitions, 2% sent again 50-550 orders later; half before the restart.
  const run = await prepareChaos(
    ctx,
    { events: 30_000, partitions: 4, duplicateRatio: 0.02, invalidRatio: 0.01, seed: 14 },
    { TRIBUTARY_DEDUP_MAX_KEYS_IN_MEMORY: String(maxKeys), TRIBUTARY_LOG_LEVEL: 'warn' },
    0.5,
  )
  const runTo = async () => {
    const e = startEngine(run, ['--until-idle', '3000'])
    engines.push(e)
    const { code } = await e.exited
    assert.equal(code, 0, e.output().slice(-4000))
    return e
  }
  const first = await runTo()
  await produceRest(run)
  // Restarted: memory starts from the newest keys Redis holds, so duplicates of orders from before
  // the restart, arriving after it, are still dropped.
  const second = await runTo()

  const evicted = [...evictions(first), ...evictions(second)]
  assert.ok(evicted.length > 0, 'more distinct keys than the bound went through: some were evicted')
  for (const e of evicted) assert.equal(e.maxKeys, maxKeys)
  const s = await verifyChaos(run, 14)
  assert.ok(s.duplicatesProduced > 100, 'the dataset has duplicates to drop')
  assert.deepEqual(
    { lost: s.lost, duplicated: s.duplicated, mismatched: s.mismatched, plain: s.plain.exact },
    { lost: 0, duplicated: 0, mismatched: 0, plain: true },
    JSON.stringify(s, null, 2),
  )
})
