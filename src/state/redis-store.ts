import { Redis, type RedisOptions } from 'ioredis'
import { endpointsFromEnv } from '../config/endpoints.ts'
import { TributaryError } from '../errors/tributary-error.ts'
import { checkpointBytes } from './checkpoint-bytes.ts'
import { stateError } from './redis-error.ts'
import { stateKeys } from './redis-keys.ts'
import type { PartitionCommit, PartitionRef, PartitionState, StateStore } from './state-store.ts'
import { checkCommit, checkNow, checkRef, describeRef } from './validate.ts'

/** Members (or fields) per ZADD/HSET/HDEL, so one huge checkpoint never becomes one huge command. */
export const DEFAULT_CHUNK = 1000

/**
 * Settings under which a Redis restart makes commands wait instead of fail:
 * - enableOfflineQueue: commands issued while disconnected are queued and written on reconnect;
 * - maxRetriesPerRequest null: queued commands are never flushed with MaxRetriesPerRequestError
 *   (ioredis' default gives up after 20 reconnect attempts), so a commit waits out the outage;
 * - retryStrategy: reconnect forever, backing off 50 ms doubling to a 2 s cap, so the store is
 *   back within ~2 s of Redis;
 * - enableReadyCheck: after a restart, wait until Redis has loaded its data set before any command
 *   (a load in that window would see partial state);
 * - autoResendUnfulfilledCommands: a pipeline written but not answered is re-sent whole. ioredis
 *   aborts (rejects) a pipeline that got a partial answer and drops queued transaction fragments, so
 *   a MULTI is never replayed without its head; and a commit re-applied is the same state.
 * What does surface (an aborted pipeline) is a retriable STATE_UNAVAILABLE for the caller to resend.
 */
export const WAIT_OUT_RESTARTS = {
  lazyConnect: false,
  enableOfflineQueue: true,
  maxRetriesPerRequest: null,
  retryStrategy: (times: number) => Math.min(50 * 2 ** Math.min(times - 1, 10), 2000),
  enableReadyCheck: true,
  autoResendUnfulfilledCommands: true,
} satisfies RedisOptions

export interface RedisStoreOptions {
  /** Default DEFAULT_CHUNK. */
  chunkSize?: number
  /** Shown in CLIENT LIST, to tell engines apart. */
  connectionName?: string
  /** AUTH password (`redis.password`, from TRIBUTARY_REDIS_PASSWORD); overrides one in the URL. */
  password?: string
  /**
   * Each failed (re)connection attempt. ioredis reports them as 'error' events, which crash the
   * process when nobody listens; the failures callers must act on reach them as rejected commands.
   */
  onConnectionError?: (error: Error) => void
}

export function createRedisStore(
  url: string = endpointsFromEnv().redisUrl,
  options: RedisStoreOptions = {},
): RedisStateStore {
  const client = new Redis(url, {
    ...WAIT_OUT_RESTARTS,
    ...(options.connectionName === undefined ? {} : { connectionName: options.connectionName }),
    ...(options.password === undefined ? {} : { password: options.password }),
  })
  client.on('error', options.onConnectionError ?? (() => {}))
  return new RedisStateStore(client, options)
}

/**
 * Each partition's checkpoint is one MULTI ... EXEC, and all of a commit's transactions travel in
 * one pipeline, so a commit costs one round trip however many partitions it covers.
 *
 * MULTI rather than a Lua script per partition: neither rolls back a command that fails while
 * executing (Redis has no rollback), and both discard everything when a command is refused before
 * execution (MULTI: EXECABORT), so they are equally atomic. MULTI needs no script cache: after a
 * Redis restart EVALSHA fails with NOSCRIPT until the script is loaded again, which would cost
 * round trips and a second code path; and plain commands chunk without Lua's unpack() stack limit.
 */
export class RedisStateStore implements StateStore {
  readonly client: Redis
  readonly #chunk: number
  #roundTrips = 0

  constructor(client: Redis, options: Pick<RedisStoreOptions, 'chunkSize'> = {}) {
    this.client = client
    this.#chunk = options.chunkSize ?? DEFAULT_CHUNK
    if (!Number.isSafeInteger(this.#chunk) || this.#chunk < 1) {
      throw new TributaryError('STATE_INVALID', `chunkSize ${this.#chunk} must be a positive integer`)
    }
  }

  /** Network round trips made so far: one per load, commit (of any size) and clear. */
  get roundTrips(): number {
    return this.#roundTrips
  }

  async load(p: PartitionRef, now: number): Promise<PartitionState> {
    checkRef(p)
    checkNow(now)
    const k = stateKeys(p)
    const [offset, dedup, kv, meta] = await this.#send(`load of ${describeRef(p)}`, [
      ['get', k.offset],
      // `(` makes the bound exclusive: a key is live while now < expiresAt, as commit expires <= now.
      ['zrangebyscore', k.dedup, `(${now}`, '+inf', 'WITHSCORES'],
      ['hgetall', k.kv],
      ['hgetall', k.meta],
    ])
    const pairs = dedup as string[]
    const live = new Map<string, number>()
    for (let i = 0; i + 1 < pairs.length; i += 2) live.set(pairs[i]!, Number(pairs[i + 1]))
    return {
      offset: (offset as string | null) ?? null,
      dedup: live,
      kv: new Map(Object.entries(kv as Record<string, string>)),
      meta: { ...(meta as Record<string, string>) },
    }
  }

  async commit(batch: PartitionCommit[], now: number): Promise<{ bytes: number }> {
    checkNow(now)
    for (const c of batch) checkCommit(c)
    if (batch.length === 0) return { bytes: 0 }
    const transactions = batch.map((c) => checkpointCommands(c, now, this.#chunk))
    const pipeline = this.client.pipeline()
    // Pipeline.multi() exists at run time but not in ioredis' types. It (unlike call('multi')) marks
    // the queued commands as a transaction, which ioredis needs to drop fragments after a disconnect.
    const transactional = pipeline as unknown as { multi(): unknown }
    for (const tx of transactions) {
      transactional.multi()
      for (const [name, ...args] of tx) pipeline.call(name!, ...args)
      // Inside a pipeline with an open MULTI this queues EXEC; the pipeline is sent below.
      void pipeline.exec()
    }
    const results = await this.#exec(pipeline, 'commit')
    const failures: TributaryError[] = []
    let at = 0
    transactions.forEach((tx, i) => {
      const replies = results.slice(at, at + tx.length + 2)
      at += tx.length + 2
      const failure = transactionFailure(replies, describeRef(batch[i]!.ref))
      if (failure) failures.push(failure)
    })
    if (failures.length > 0) throw combine(failures)
    return { bytes: checkpointBytes(batch) }
  }

  async clear(p: PartitionRef): Promise<void> {
    checkRef(p)
    const k = stateKeys(p)
    await this.#send(`clear of ${describeRef(p)}`, [['del', k.offset, k.dedup, k.kv, k.meta]])
  }

  async close(): Promise<void> {
    // QUIT needs a live connection; while reconnecting it would queue behind the outage.
    if (this.client.status === 'ready') {
      await this.client.quit().catch(() => this.client.disconnect())
    } else {
      this.client.disconnect()
    }
  }

  async #send(what: string, commands: string[][]): Promise<unknown[]> {
    const pipeline = this.client.pipeline()
    for (const [name, ...args] of commands) pipeline.call(name!, ...args)
    const results = await this.#exec(pipeline, what)
    return results.map(([error, value]) => {
      if (error) throw stateError(error, what)
      return value
    })
  }

  async #exec(pipeline: ReturnType<Redis['pipeline']>, what: string): Promise<[Error | null, unknown][]> {
    this.#roundTrips += 1
    try {
      return (await pipeline.exec()) ?? []
    } catch (error) {
      throw stateError(error, what)
    }
  }
}

/**
 * One partition's checkpoint as Redis commands, in the order PartitionChanges documents; the offset
 * is written last. Wrapped in MULTI/EXEC by the caller.
 */
export function checkpointCommands(
  c: PartitionCommit,
  now: number,
  chunk: number = DEFAULT_CHUNK,
): string[][] {
  const k = stateKeys(c.ref)
  const commands: string[][] = []
  for (const part of chunks(c.changes.dedupAdd, chunk)) {
    commands.push(['zadd', k.dedup, ...part.flatMap(([key, expiresAt]) => [String(expiresAt), key])])
  }
  // Expired dedup keys are dropped at every checkpoint, so the set stays bounded by the live ones.
  commands.push(['zremrangebyscore', k.dedup, '-inf', String(now)])
  for (const part of chunks(c.changes.kvPut, chunk)) commands.push(['hset', k.kv, ...part.flat()])
  for (const part of chunks(c.changes.kvDelete, chunk)) commands.push(['hdel', k.kv, ...part])
  for (const part of chunks(Object.entries(c.changes.meta), chunk))
    commands.push(['hset', k.meta, ...part.flat()])
  commands.push(['set', k.offset, c.offset])
  return commands
}

/**
 * A transaction's replies are MULTI, one per queued command, then EXEC. EXEC fails (EXECABORT) when a
 * command was refused while queueing; then nothing applied, and the refusals say why. A command that
 * fails while executing leaves the others applied, so that is reported as a rejection to look into.
 */
function transactionFailure(
  replies: [Error | null, unknown][],
  partition: string,
): TributaryError | undefined {
  const queued = replies
    .slice(0, -1)
    .map(([error]) => error)
    .filter((e): e is Error => e !== null)
  const [execError, execValue] = replies.at(-1) ?? [new Error('no EXEC reply'), null]
  if (execError) return stateError(execError, `checkpoint of ${partition} (nothing applied)`, queued)
  const failed = Array.isArray(execValue) ? execValue.filter((v): v is Error => v instanceof Error) : []
  if (failed.length > 0) {
    return stateError(
      failed[0],
      `checkpoint of ${partition} (commands after the failure still applied)`,
      failed,
    )
  }
  return undefined
}

function combine(failures: TributaryError[]): TributaryError {
  if (failures.length === 1) return failures[0]!
  // Resending the whole commit is safe (it is idempotent) only when every failure is transient.
  const retriable = failures.every((f) => f.retriable)
  const code = retriable
    ? 'STATE_UNAVAILABLE'
    : (failures.find((f) => !f.retriable)?.code ?? 'STATE_REJECTED')
  return new TributaryError(code, failures.map((f) => f.message).join('\n'), {
    retriable,
    cause: new AggregateError(failures),
  })
}

function* chunks<T>(items: readonly T[], size: number): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size)
}
