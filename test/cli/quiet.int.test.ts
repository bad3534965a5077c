import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { test } from 'node:test'
import { Kafka, logLevel } from 'kafkajs'
import { runCli } from '../support/cli.ts'
import { uniqueName } from '../support/engine.ts'
import { stackEndpoints } from '../support/stack.ts'

const ROOT = path.resolve(import.meta.dirname, '../..')

test('produce to a topic Kafka has not created yet succeeds without an ERROR line', async () => {
  const { kafkaBrokers } = await stackEndpoints('kafka')
  const topic = uniqueName('quiet-new-topic')
  const dir = mkdtempSync(path.join(tmpdir(), 'tributary-topologies-'))
  try {
    // The sensor example under a topic name no broker has seen: Kafka creates it on first use.
    writeFileSync(
      path.join(dir, 'fresh.ts'),
      [
        `import { renameTopology } from ${JSON.stringify(path.join(ROOT, 'src/testing/rename.ts'))}`,
        `import sensors from ${JSON.stringify(path.join(ROOT, 'topologies/sensor-readings.ts'))}`,
        `export default renameTopology(sensors, ${JSON.stringify(topic)})`,
      ].join('\n'),
    )
    const { code, output } = await runCli(['produce', topic, '--generate', '300'], {
      TRIBUTARY_TOPOLOGIES_DIR: dir,
    })
    assert.equal(code, 0, output)
    const errors = output.split('\n').filter((l) => /"level":(50|60)|\bERROR\b/.test(l))
    assert.deepEqual(errors, [], 'no ERROR-level line for a condition kafkajs retried and recovered from')
    assert.match(output, /"produced":300/)

    const admin = new Kafka({ brokers: [...kafkaBrokers], logLevel: logLevel.NOTHING }).admin()
    await admin.connect()
    try {
      const offsets = await admin.fetchTopicOffsets(topic)
      assert.equal(
        offsets.reduce((n, p) => n + Number(p.high), 0),
        300,
      )
    } finally {
      await admin.disconnect()
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
