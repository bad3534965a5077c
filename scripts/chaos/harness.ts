/**
 * Chaos against the real stack: produce the dataset to a fresh topic, and a change stream to
 * another (the customers CDC topology, run by the same engines), let the caller break the engine
 * (SIGKILLs, a second member leaving, Redis restarting), run it to the end, then compare every
 * table with the ground truth. The engine is always a separate OS process, as in production.
 */
import { randomBytes } from 'node:crypto'
import { cpSync } from 'node:fs'
import path from 'node:path'
import type { Message } from 'kafkajs'
import { sendAll } from '../../src/cli/commands/produce.ts'
import type { CliContext } from '../../src/cli/context.ts'
import { bindFormat, bindSource } from '../../src/serde/bind.ts'
import { goldPartialsTable } from '../../src/sinks/clickhouse/gold.ts'
import { readTimestamp } from '../../src/sinks/clickhouse/types.ts'
import { createKafka } from '../../src/sources/kafka/client.ts'
import { type EngineProcess, spawnEngine, topologyDir } from '../../src/testing/engine-process.ts'
import { renameTopology } from '../../src/testing/rename.ts'
import { waitFor } from '../../src/testing/wait.ts'
import type { AnyTopology, Topology } from '../../src/topology/define.ts'
import customers from '../../topologies/customers.ts'
import orders from '../../topologies/orders.ts'
import { type ChangeDataset, chaosChanges, currentRows } from './changes.ts'
import { type ChaosDataset, type ChaosDatasetOptions, chaosDataset } from './dataset.ts'

export interface ChaosRun {
  readonly ctx: CliContext
  readonly topology: Topology<typeof orders.definition.source.format.schema>
  readonly dir: string
  readonly data: ChaosDataset
  /** The change stream the same engines run beside the orders (a quarter as many changes as events). */
  readonly changes: {
    readonly topology: Topology<typeof customers.definition.source.format.schema>
    readonly data: ChangeDataset
  }
  /** Extra environment for every engine process, e.g. a private Redis. */
  readonly env: Record<string, string>
  /** Encoded messages not produced yet, both topics interleaved (see `produceRest`). */
  readonly held: { readonly topic: string; readonly message: Message }[]
}

export interface ChaosSummary {
  readonly topology: string
  readonly seed: number
  readonly produced: number
  readonly duplicatesProduced: number
  readonly invalidProduced: number
  readonly bronze: { readonly expected: number; readonly actual: number }
  readonly silver: { readonly expected: number; readonly actual: number; readonly distinctIds: number }
  readonly quarantine: { readonly expected: number; readonly actual: number }
  /** Valid events routed to the late table: none is late in this dataset (jitter within bounds). */
  readonly late: { readonly expected: number; readonly actual: number }
  readonly goldWindows: { readonly expected: number; readonly actual: number }
  readonly goldSessions: { readonly expected: number; readonly actual: number }
  /** The change stream as produced: messages (tombstones and replays included) and what they hold. */
  readonly changes: {
    readonly topology: string
    readonly produced: number
    readonly deletes: number
    readonly tombstones: number
    readonly replayed: number
    readonly invalid: number
  }
  /**
   * What users see with plain queries: each table's `count()` without FINAL beside its distinct
   * (partition, offset) lineage (gold partials: rows without FINAL beside rows with FINAL), and the
   * dead-letter topic as a `read_committed` consumer reads it. Exact when every pair is equal.
   */
  readonly plain: {
    readonly tables: readonly { readonly table: string; readonly count: number; readonly distinct: number }[]
    readonly dlq: { readonly expected: number; readonly readCommitted: number }
    /**
     * The change stream, by plain queries: bronze = changes produced (tombstones and replays
     * included), quarantine and the DLQ = invalid changes, and every column of every row of the
     * `_current` view equal to the source table's final state.
     */
    readonly changes: {
      readonly bronze: { readonly expected: number; readonly count: number }
      readonly quarantine: { readonly expected: number; readonly count: number }
      readonly dlq: { readonly expected: number; readonly readCommitted: number }
      readonly current: { readonly expected: number; readonly count: number; readonly differing: number }
    }
    readonly exact: boolean
  }
  readonly lost: number
  readonly duplicated: number
  readonly mismatched: number
  /** The first few differences, to start debugging from. */
  readonly examples: readonly string[]
}

/** Produces the dataset, or only its first `share` when a test wants to act before the rest arrives. */
export async function prepareChaos(
  ctx: CliContext,
  opts: ChaosDatasetOptions,
  env: Record<string, string> = {},
  share = 1,
): Promise<ChaosRun> {
  const name = `chaos-${randomBytes(3).toString('hex')}`
  const topology = renameTopology(orders, name)
  const data = chaosDataset(opts)
  const cdc = renameTopology(customers, `${name}-customers`)
  const changes = chaosChanges(cdc.definition.source.changes!, cdc.entity, {
    changes: Math.ceil(opts.events / 4),
    duplicateRatio: opts.duplicateRatio,
    invalidRatio: opts.invalidRatio,
    seed: opts.seed,
  })
  const admin = createKafka(ctx.config, ctx.logger('warn')).admin()
  await admin.connect()
  try {
    await admin.createTopics({
      topics: [name, cdc.name].map((topic) => ({ topic, numPartitions: opts.partitions })),
      waitForLeaders: true,
    })
  } finally {
    await admin.disconnect()
  }
  const serde = bindFormat(topology.definition.source.format, ctx.registry())
  const messages: Message[] = []
  for (const m of data.messages) {
    const value = await serde.encode(m.order, name)
    messages.push({ key: m.key, value, ...(m.partition === undefined ? {} : { partition: m.partition }) })
  }
  const changeSerde = bindSource(cdc.definition.source, ctx.registry())
  const changeMessages: Message[] = []
  for (const m of changes.messages)
    changeMessages.push({
      key: m.key,
      value: m.value === null ? null : await changeSerde.encode(m.value, cdc.name),
    })
  // One engine process runs both topologies: the customers file sits beside the orders one.
  const dir = topologyDir('orders', name)
  cpSync(path.join(topologyDir('customers', cdc.name), `${cdc.name}.ts`), path.join(dir, `${cdc.name}.ts`))
  const all = interleave(
    messages.map((message) => ({ topic: name, message })),
    changeMessages.map((message) => ({ topic: cdc.name, message })),
  )
  const run: ChaosRun = {
    ctx,
    topology,
    dir,
    data,
    changes: { topology: cdc, data: changes },
    env,
    held: all,
  }
  await produceRest(run, Math.round(all.length * share))
  return run
}

/** `b` spread evenly through `a`, each keeping its order, so both streams flow at once. */
function interleave<T>(a: readonly T[], b: readonly T[]): T[] {
  const out: T[] = []
  let j = 0
  for (let i = 0; i < a.length; i++) {
    out.push(a[i]!)
    for (const end = Math.floor(((i + 1) * b.length) / a.length); j < end; j++) out.push(b[j]!)
  }
  return out
}

/** Produces the held messages, or the next `count` of them. */
export async function produceRest(run: ChaosRun, count = run.held.length): Promise<void> {
  const next = run.held.splice(0, count)
  for (const topic of new Set(next.map((h) => h.topic)))
    await sendAll(
      run.ctx,
      topic,
      next.filter((h) => h.topic === topic).map((h) => h.message),
    )
}

export function startEngine(
  run: ChaosRun,
  args: string[] = [],
  env: Record<string, string> = {},
): EngineProcess {
  return spawnEngine(run.dir, args, { TRIBUTARY_SINK_MAX_BATCH_ROWS: '2000', ...run.env, ...env })
}

/**
 * Where the engine is: bronze rows so far (replays included), or, when ClickHouse is chDB (one
 * process holds its directory, so the harness cannot read it while an engine runs), the offsets
 * its group committed.
 */
export async function progress(run: ChaosRun, topology: AnyTopology = run.topology): Promise<number> {
  if (!run.env.TRIBUTARY_CLICKHOUSE_URL?.startsWith('chdb:')) return bronzeRows(run, topology.tables.bronze)
  const admin = createKafka(run.ctx.config, run.ctx.logger('warn')).admin()
  await admin.connect()
  try {
    const [topic] = await admin.fetchOffsets({
      groupId: `tributary-${topology.name}`,
      topics: [topology.name],
    })
    return (topic?.partitions ?? []).reduce((n, p) => n + Math.max(0, Number(p.offset)), 0)
  } finally {
    await admin.disconnect()
  }
}

/** Rows a bronze table (the orders' unless told) holds so far, replays included: grows while the engine makes progress. */
export async function bronzeRows(run: ChaosRun, table = run.topology.tables.bronze): Promise<number> {
  const ch = await run.ctx.clickhouse()
  const rows = await ch.query<{ c: string }>(`SELECT count() AS c FROM ${table}`).catch(() => [{ c: '0' }])
  return Number(rows[0]?.c)
}

/**
 * Waits until the engine has made more than `atLeast` rows (or offsets) of progress from now in
 * the orders, or, given `of`, in that topology's stream (the change stream); or has read all of
 * it, when nothing is held back: then there is nothing left to progress.
 */
export async function waitForProgress(
  run: ChaosRun,
  atLeast: number,
  what: string,
  opts: { readonly of?: AnyTopology } = {},
): Promise<void> {
  const topology = opts.of ?? run.topology
  const total = topology === run.topology ? run.data.messages.length : run.changes.data.messages.length
  const before = await progress(run, topology)
  await waitFor(
    what,
    () => progress(run, topology),
    (n) => n > before + atLeast || (run.held.length === 0 && n >= total),
    { timeoutMs: 120_000, everyMs: 50 },
  )
}

/** Runs the engine until it has been idle for 5 s and checks it exited cleanly. */
export async function finish(run: ChaosRun): Promise<void> {
  const last = startEngine(run, ['--until-idle', '5000'])
  const { code } = await last.exited
  if (code !== 0) throw new Error(`the final engine run exited ${code}:\n${last.output()}`)
}

const EPSILON = 1e-6
const close = (a: number, b: number) => Math.abs(a - b) <= EPSILON * Math.max(1, Math.abs(a), Math.abs(b))
export async function verifyChaos(run: ChaosRun, seed: number): Promise<ChaosSummary> {
  const ch = await run.ctx.clickhouse()
  const t = run.topology
  const { data } = run
  const one = async (sql: string) => Number((await ch.query<{ c: string }>(sql))[0]?.c ?? 0)
  const bronze = await one(`SELECT count() AS c FROM ${t.tables.bronze} FINAL`)
  const silver = await one(`SELECT count() AS c FROM ${t.tables.silver} FINAL`)
  const silverIds = await one(`SELECT uniqExact(order_id) AS c FROM ${t.tables.silver} FINAL`)
  const quarantine = await one(`SELECT count() AS c FROM ${t.tables.quarantine} FINAL`)
  const late = await one(`SELECT count() AS c FROM ${t.tables.late!} FINAL`)
  const examples: string[] = []
  const note = (s: string) => {
    if (examples.length < 10) examples.push(s)
  }

  let lost = Math.max(0, data.messages.length - bronze) + Math.max(0, data.validIds - silverIds)
  let duplicated = Math.max(0, bronze - data.messages.length) + (silver - silverIds)
  let mismatched = 0

  const [windowsView, sessionsView] = t.tables.gold
  const windows = await ch.query<Record<string, string | number>>(
    `SELECT currency, toString(window_start) AS start, orders, revenue, avg_amount, customers FROM ${windowsView}`,
  )
  const gotWindows = new Map(windows.map((w) => [`${w.currency}|${readTimestamp(w.start)}`, w]))
  for (const w of data.windows) {
    const id = `${w.currency}|${w.start}`
    const got = gotWindows.get(id)
    gotWindows.delete(id)
    const orders = Number(got?.orders ?? 0)
    lost += Math.max(0, w.orders - orders)
    duplicated += Math.max(0, orders - w.orders)
    const same =
      got !== undefined &&
      orders === w.orders &&
      close(Number(got.revenue), w.revenue) &&
      close(Number(got.avg_amount), w.avgAmount) &&
      Number(got.customers) === w.customers
    if (!same) {
      mismatched++
      note(`window ${id}: expected ${JSON.stringify(w)}, got ${JSON.stringify(got ?? null)}`)
    }
  }
  // The sentinels' windows never close, so nothing may be left over.
  for (const id of gotWindows.keys()) {
    mismatched++
    note(`window ${id} should not exist`)
  }

  const sessions = await ch.query<Record<string, string | number>>(
    `SELECT customer_id, toString(window_start) AS start, toString(window_end) AS end, orders, spent FROM ${sessionsView}`,
  )
  const gotSessions = new Map(
    sessions.map((s) => [`${s.customer_id}|${readTimestamp(s.start)}|${readTimestamp(s.end)}`, s]),
  )
  for (const s of data.sessions) {
    const id = `${s.customer}|${s.start}|${s.end}`
    const got = gotSessions.get(id)
    gotSessions.delete(id)
    const orders = Number(got?.orders ?? 0)
    if (!got || orders !== s.orders || !close(Number(got.spent), s.spent)) {
      mismatched++
      note(`session ${id}: expected ${JSON.stringify(s)}, got ${JSON.stringify(got ?? null)}`)
    }
  }
  for (const id of gotSessions.keys()) {
    mismatched++
    note(`session ${id} should not exist`)
  }

  const plainTables = [
    ...[t.tables.bronze!, t.tables.silver!, t.tables.quarantine, t.tables.late!].map(async (table) => ({
      table,
      count: await one(`SELECT count() AS c FROM ${table}`),
      distinct: await one(`SELECT uniqExact(_partition, _offset) AS c FROM ${table}`),
    })),
    ...(t.definition.gold ?? []).map(async (g) => {
      const table = goldPartialsTable(g, await ch.features()).name
      return {
        table,
        count: await one(`SELECT count() AS c FROM ${table}`),
        distinct: await one(`SELECT count() AS c FROM ${table} FINAL`),
      }
    }),
  ]
  const tables = [...(await Promise.all(plainTables)), ...(await changeTables(run))]
  const dlq = { expected: data.invalid, readCommitted: await countTopic(run.ctx, t.deadLetterTopic) }
  const changes = await verifyChanges(run, note)
  const changesExact =
    changes.bronze.count === changes.bronze.expected &&
    changes.quarantine.count === changes.quarantine.expected &&
    changes.dlq.readCommitted === changes.dlq.expected &&
    changes.current.differing === 0 &&
    changes.current.count === changes.current.expected
  const exact =
    tables.every((x) => x.count === x.distinct) && dlq.readCommitted === dlq.expected && changesExact
  lost += Math.max(0, changes.bronze.expected - changes.bronze.count)
  duplicated += Math.max(0, changes.bronze.count - changes.bronze.expected)
  // What plain queries see counts: a replayed row that only FINAL would hide is a duplicate.
  for (const x of tables) {
    duplicated += Math.max(0, x.count - x.distinct)
    if (x.count !== x.distinct) note(`${x.table}: count() ${x.count} without FINAL, ${x.distinct} distinct`)
  }
  if (dlq.readCommitted !== dlq.expected)
    note(`dead-letter topic: ${dlq.readCommitted} read_committed, ${dlq.expected} invalid produced`)

  return {
    topology: t.name,
    seed,
    produced: data.messages.length,
    duplicatesProduced: data.duplicates,
    invalidProduced: data.invalid,
    bronze: { expected: data.messages.length, actual: bronze },
    silver: { expected: data.validIds, actual: silver, distinctIds: silverIds },
    quarantine: { expected: data.invalid, actual: quarantine },
    late: { expected: 0, actual: late },
    goldWindows: { expected: data.windows.length, actual: windows.length },
    goldSessions: { expected: data.sessions.length, actual: sessions.length },
    changes: {
      topology: run.changes.topology.name,
      produced: run.changes.data.messages.length,
      deletes: run.changes.data.deletes,
      tombstones: run.changes.data.tombstones,
      replayed: run.changes.data.duplicates,
      invalid: run.changes.data.invalid,
    },
    plain: { tables, dlq, changes, exact },
    lost,
    duplicated,
    mismatched:
      mismatched +
      Math.abs(quarantine - data.invalid) +
      late +
      Math.abs(dlq.readCommitted - dlq.expected) +
      Math.abs(changes.quarantine.count - changes.quarantine.expected) +
      Math.abs(changes.dlq.readCommitted - changes.dlq.expected) +
      changes.current.differing +
      Math.abs(changes.current.count - changes.current.expected),
    examples,
  }
}

/**
 * The change stream's tables, each read in one query so a merge between two reads cannot make
 * them disagree: silver's merges drop older versions of a key, which leaves count = lineage.
 */
async function changeTables(run: ChaosRun) {
  const ch = await run.ctx.clickhouse()
  const t = run.changes.topology.tables
  return Promise.all(
    [t.bronze!, t.silver!, t.quarantine].map(async (table) => {
      const [r] = await ch.query<{ c: string; d: string }>(
        `SELECT count() AS c, uniqExact(_partition, _offset) AS d FROM ${table}`,
      )
      return { table, count: Number(r?.c), distinct: Number(r?.d) }
    }),
  )
}

/** The change stream against its truth, with plain queries only (see `ChaosSummary.plain.changes`). */
async function verifyChanges(
  run: ChaosRun,
  note: (s: string) => void,
): Promise<ChaosSummary['plain']['changes']> {
  const ch = await run.ctx.clickhouse()
  const { topology, data } = run.changes
  const one = async (sql: string) => Number((await ch.query<{ c: string }>(sql))[0]?.c ?? 0)
  const rows = await currentRows(ch, topology.tables.current!)
  const got = new Map(rows.map((r) => [r.id, r]))
  let differing = 0
  for (const want of data.current) {
    const row = got.get(want.id)
    got.delete(want.id)
    if (JSON.stringify(row) !== JSON.stringify(want)) {
      differing++
      note(
        `current customer ${want.id}: expected ${JSON.stringify(want)}, got ${JSON.stringify(row ?? null)}`,
      )
    }
  }
  for (const id of got.keys()) {
    differing++
    note(`current customer ${id} should not exist (deleted, or never created)`)
  }
  const result = {
    bronze: {
      expected: data.messages.length,
      count: await one(`SELECT count() AS c FROM ${topology.tables.bronze}`),
    },
    quarantine: {
      expected: data.invalid,
      count: await one(`SELECT count() AS c FROM ${topology.tables.quarantine}`),
    },
    dlq: { expected: data.invalid, readCommitted: await countTopic(run.ctx, topology.deadLetterTopic) },
    current: { expected: data.current.length, count: rows.length, differing },
  }
  if (result.bronze.count !== result.bronze.expected)
    note(
      `change bronze: count() ${result.bronze.count} without FINAL, ${result.bronze.expected} changes produced`,
    )
  if (result.quarantine.count !== result.quarantine.expected)
    note(
      `change quarantine: ${result.quarantine.count}, ${result.quarantine.expected} invalid changes produced`,
    )
  if (result.dlq.readCommitted !== result.dlq.expected)
    note(
      `change dead-letter topic: ${result.dlq.readCommitted} read_committed, ${result.dlq.expected} invalid produced`,
    )
  return result
}

/** Messages a `read_committed` consumer reads from a whole topic (kafkajs' default isolation). */
async function countTopic(ctx: CliContext, topic: string): Promise<number> {
  const kafka = createKafka(ctx.config, ctx.logger('warn'))
  const admin = kafka.admin()
  await admin.connect()
  const ends = await admin.fetchTopicOffsets(topic).finally(() => admin.disconnect())
  const remaining = new Map(ends.filter((e) => e.high !== e.low).map((e) => [e.partition, BigInt(e.high)]))
  if (remaining.size === 0) return 0
  const consumer = kafka.consumer({ groupId: `chaos-dlq-${randomBytes(3).toString('hex')}` })
  let seen = 0
  await consumer.connect()
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true })
    let done!: () => void
    const finished = new Promise<void>((resolve) => {
      done = resolve
    })
    await consumer.run({
      eachBatch: async ({ batch }) => {
        seen += batch.messages.length
        // Transaction markers take offsets too: a partition is read once the fetch reaches its end.
        if (BigInt(batch.highWatermark) <= BigInt(batch.lastOffset()) + 1n) remaining.delete(batch.partition)
        if (remaining.size === 0) done()
      },
    })
    await waitFor(
      'the whole dead-letter topic read',
      async () => remaining.size,
      (n) => n === 0,
      {
        timeoutMs: 60_000,
      },
    )
    await finished
  } finally {
    await consumer.disconnect()
  }
  return seen
}
