import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { ClickHouse } from '../../src/clickhouse/client.ts'
import { createClusterClickHouse, shardOf } from '../../src/clickhouse/cluster.ts'
import { ClickHouseError } from '../../src/clickhouse/errors.ts'
import type { Features } from '../../src/clickhouse/features.ts'

/** A server of the cluster that records what reached it; `down` makes it unreachable. */
function server(name: string, log: string[], state = { down: false }) {
  const refuse = () => new ClickHouseError('CLICKHOUSE_UNAVAILABLE', `${name} refused`, { retriable: true })
  const ch: ClickHouse = {
    kind: 'server',
    features: async () => ({}) as Features,
    command: async () => {},
    query: async <T>(sql: string) => {
      if (state.down) throw refuse()
      log.push(`${name} ${sql}`)
      return [] as T[]
    },
    insert: async () => {},
    insertRaw: async (table) => {
      if (state.down) throw refuse()
      log.push(`${name} ${table}`)
    },
    stream: async function* () {},
    ping: async () => !state.down,
    close: async () => {},
  }
  return { ch, state }
}

function cluster(shards: string[][]) {
  const log: string[] = []
  const servers = new Map(shards.flat().map((n) => [n, server(n, log)]))
  const ch = createClusterClickHouse('tc', shards, {}, (url) => servers.get(url)!.ch)
  return { ch, log, servers }
}

describe('shard routing', () => {
  it('sends an input partition to shard partition mod shards, every time', () => {
    assert.deepEqual(
      [0, 1, 2, 3, 4, 5, 6].map((p) => shardOf(p, 2)),
      [0, 1, 0, 1, 0, 1, 0],
    )
    assert.deepEqual(
      [0, 1, 2, 3, 4].map((p) => shardOf(p, 3)),
      [0, 1, 2, 0, 1],
    )
    assert.throws(() => shardOf(-1, 2), /whole number >= 0/)
  })

  it("inserts a block into <table>_local on a replica of its partition's shard", async () => {
    const { ch, log } = cluster([
      ['a1', 'a2'],
      ['b1', 'b2'],
    ])
    for (const p of [0, 1, 2, 3]) await ch.insertRaw('bronze_o', 'x\n', undefined, `t${p}`, p)
    await ch.insertRaw('tributary_processing_log', 'x\n')
    assert.deepEqual(log, [
      'a1 bronze_o_local',
      'b1 bronze_o_local',
      'a1 bronze_o_local',
      'b1 bronze_o_local',
      'a1 tributary_processing_log_local',
    ])
  })

  it('fails over to the next replica of the same shard, and stays there while it answers', async () => {
    const { ch, log, servers } = cluster([
      ['a1', 'a2'],
      ['b1', 'b2'],
    ])
    servers.get('a1')!.state.down = true
    await ch.insertRaw('silver_o', 'x\n', undefined, 't', 2)
    await ch.insertRaw('silver_o', 'x\n', undefined, 't', 4)
    servers.get('a1')!.state.down = false
    await ch.insertRaw('silver_o', 'x\n', undefined, 't', 0)
    assert.deepEqual(log, ['a2 silver_o_local', 'a2 silver_o_local', 'a2 silver_o_local'])
  })

  it('a shard with every replica down fails with a retriable error; the other shard still takes its blocks', async () => {
    const { ch, log, servers } = cluster([
      ['a1', 'a2'],
      ['b1', 'b2'],
    ])
    servers.get('b1')!.state.down = true
    servers.get('b2')!.state.down = true
    await assert.rejects(ch.insertRaw('silver_o', 'x\n', undefined, 't', 1), { retriable: true })
    await ch.insertRaw('silver_o', 'x\n', undefined, 't', 0)
    assert.deepEqual(log, ['a1 silver_o_local'])
  })

  it('a statement goes to any replica that answers, across shards', async () => {
    const { ch, log, servers } = cluster([['a1', 'a2'], ['b1']])
    servers.get('a1')!.state.down = true
    servers.get('a2')!.state.down = true
    await ch.query('SELECT 1')
    assert.deepEqual(log, ['b1 SELECT 1'])
  })

  it('a non-retriable error is not failed over: the statement is wrong everywhere', async () => {
    const log: string[] = []
    const bad = server('a1', log)
    const wrong: ClickHouse = {
      ...bad.ch,
      query: async () => {
        throw new ClickHouseError('CLICKHOUSE_SYNTAX', 'syntax error', { retriable: false })
      },
    }
    const other = server('a2', log)
    const ch = createClusterClickHouse('tc', [['a1', 'a2']], {}, (u) => (u === 'a1' ? wrong : other.ch))
    await assert.rejects(ch.query('SELEC 1'), /syntax error/)
    assert.deepEqual(log, [])
  })
})
