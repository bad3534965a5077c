/**
 * A ClickHouse cluster behind the one `ClickHouse` interface (`clickhouse.cluster` and
 * `clickhouse.shards`). A table's rows live in `<name>_local` on every shard, and `<name>` is the
 * Distributed table users query (sinks/clickhouse/ddl.ts). An insert of input partition P's block
 * goes to `<name>_local` on shard `P mod shards`: the same shard every time, so a block replayed
 * after a crash reaches the replicas that saw it first, and Replicated deduplication drops it.
 * Within a shard the first replica that answers takes it; an unreachable one (a retriable error)
 * hands over to the next. Statements and reads go to any replica, the same way.
 */

import { redactUrl } from '../config/url-credentials.ts'
import { ConfigError, TributaryError } from '../errors/tributary-error.ts'
import type { ClickHouse, ClickHouseOptions } from './client.ts'
import { type Features, memoizedFeatures } from './features.ts'
import { createHttpClickHouse } from './http.ts'
import { serializeRows } from './insert-body.ts'

/** Where a table on a cluster keeps its rows, on each shard; users query the Distributed `<name>`. */
export function localTableName(name: string): string {
  return `${name}_local`
}

/** The shard an input partition's blocks go to, always the same one for the same shard count. */
export function shardOf(partition: number, shards: number): number {
  if (!Number.isInteger(partition) || partition < 0)
    throw new TypeError(`input partition ${partition} is not a whole number >= 0`)
  return partition % shards
}

/** Replicas that hold the same data: a call goes to the one that last answered, then the others. */
export class Replicas {
  private preferred = 0
  readonly members: readonly ClickHouse[]

  constructor(members: readonly ClickHouse[]) {
    if (members.length === 0) throw new TypeError('a shard needs at least one replica')
    this.members = members
  }

  async run<T>(call: (ch: ClickHouse) => Promise<T>): Promise<T> {
    let failure: unknown
    for (let i = 0; i < this.members.length; i++) {
      const at = (this.preferred + i) % this.members.length
      try {
        const result = await call(this.members[at]!)
        this.preferred = at
        return result
      } catch (err) {
        if (!(err instanceof TributaryError && err.retriable)) throw err
        failure = err
      }
    }
    throw failure
  }

  get current(): ClickHouse {
    return this.members[this.preferred]!
  }
}

export function createClusterClickHouse(
  cluster: string,
  shardUrls: readonly (readonly string[])[],
  opts: ClickHouseOptions = {},
  connect: (url: string) => ClickHouse = (url) => createHttpClickHouse(url, opts),
): ClickHouse {
  const shards = shardUrls.map((urls) => new Replicas(urls.map(connect)))
  const any = new Replicas(shards.flatMap((s) => s.members))
  const where = shardUrls.flat().map(redactUrl).join(', ')
  const features = memoizedFeatures({ query: (sql) => any.run((ch) => ch.query(sql)) })
  const checked = async (): Promise<Features> => {
    const f = await features()
    await checkCluster(any, cluster, shardUrls.length, f, where)
    return f
  }
  let layout: Promise<Features> | undefined
  const ch: ClickHouse = {
    kind: 'server',
    features() {
      layout ??= checked().catch((err: unknown) => {
        layout = undefined
        throw err
      })
      return layout
    },
    command: (sql) => any.run((c) => c.command(sql)),
    query: (sql) => any.run((c) => c.query(sql)),
    insert: (table, rows) => ch.insertRaw(table, serializeRows(rows)),
    // A block with no input partition (the processing log's) goes to the first shard.
    insertRaw: (table, body, format, token, partition) =>
      shards[partition === undefined ? 0 : shardOf(partition, shards.length)]!.run((c) =>
        c.insertRaw(localTableName(table), body, format, token),
      ),
    // A result stream is not resumable elsewhere: it comes from the replica that answered last.
    stream: (sql, format) => any.current.stream(sql, format),
    ping: () => any.run(async (c) => (await c.ping()) || Promise.reject(unreachable(where))),
    close: async () => {
      await Promise.all(any.members.map((c) => c.close()))
    },
  }
  return ch
}

function unreachable(where: string): TributaryError {
  return new TributaryError('CLICKHOUSE_UNREACHABLE', `no ClickHouse replica answers a ping (${where})`, {
    retriable: true,
  })
}

/** The configured shards must be the cluster's, and its servers must replicate: checked at start-up. */
async function checkCluster(
  any: Replicas,
  cluster: string,
  shards: number,
  f: Features,
  where: string,
): Promise<void> {
  if (!f.replicated)
    throw new ConfigError(
      'clickhouse.cluster',
      `the servers of cluster ${cluster} (${where}) have no ZooKeeper or no shard/replica macros, so tables cannot be Replicated and a replayed block would land twice`,
      "give every server ZooKeeper and <macros> with 'shard' and 'replica', or unset clickhouse.cluster",
    )
  const rows = await any.run((c) =>
    c.query<{ shard: number; cluster: string }>(
      'SELECT DISTINCT cluster, shard_num AS shard FROM system.clusters',
    ),
  )
  const own = rows.filter((r) => r.cluster === cluster)
  if (own.length === 0)
    throw new ConfigError(
      'clickhouse.cluster',
      `${JSON.stringify(cluster)} is not a cluster of the servers at ${where}`,
      `name one of their clusters (${[...new Set(rows.map((r) => r.cluster))].join(', ') || 'none defined'})`,
    )
  if (own.length !== shards)
    throw new ConfigError(
      'clickhouse.shards',
      `lists ${shards} shards, but cluster ${cluster} has ${own.length}`,
      `list the replicas of each of its ${own.length} shards, shards separated by ';', in the order of system.clusters`,
    )
}
