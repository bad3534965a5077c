import { Cluster, Redis, type RedisOptions } from 'ioredis'
import { endpointsFromEnv } from '../config/endpoints.ts'
import { TributaryError } from '../errors/tributary-error.ts'
import { checkpointBytes } from './checkpoint-bytes.ts'
import type { DedupAdds } from './dedup-adds.ts'
import { stateError } from './redis-error.ts'
import { stateKeys } from './redis-keys.ts'
import {
  liveDedup,
  type PartitionCommit,
  type PartitionRef,
  type PartitionState,
  type StateStore,
} from './state-store.ts'
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
  /**
   * `host:port` of some Redis Cluster nodes (`redis.cluster`): the store then talks to the cluster,
   * `url` unused. A partition's keys share a hash tag, so each checkpoint script runs on one node.
   */
  cluster?: readonly string[]
}

export function createRedisStore(
  url: string = endpointsFromEnv().redisUrl,
  options: RedisStoreOptions = {},
): RedisStateStore {
  const redisOptions = {
    ...WAIT_OUT_RESTARTS,
    ...(options.connectionName === undefined ? {} : { connectionName: options.connectionName }),
    ...(options.password === undefined ? {} : { password: options.password }),
  }
  const client = options.cluster?.length
    ? new Cluster(
        options.cluster.map((node) => {
          const at = node.lastIndexOf(':')
          return { host: node.slice(0, at), port: Number(node.slice(at + 1)) }
        }),
        { redisOptions, clusterRetryStrategy: WAIT_OUT_RESTARTS.retryStrategy },
      )
    : new Redis(url, redisOptions)
  client.on('error', options.onConnectionError ?? (() => {}))
  return new RedisStateStore(client, options)
}

/**
 * Each partition's checkpoint is one Lua script: the owner check, then the checkpoint's commands
 * (`checkpointCommands`), so a member fenced off a partition (a newer claim) writes nothing, in the
 * same atomic step as the write. All of a commit's scripts travel in one pipeline, so a commit costs
 * one round trip however many partitions it covers. The keys share a hash tag, so the script runs
 * on one node of a Redis Cluster too.
 *
 * EVAL rather than EVALSHA: after a Redis restart EVALSHA fails with NOSCRIPT until the script is
 * loaded again, which would cost round trips and a second code path; the script is small. Before
 * it writes, the script checks every command against the user's ACL (Redis 7), so a refusal
 * applies nothing. A command failing while executing stops the script there (Redis has no
 * rollback): the offset, written last, is then not written, and inputs are validated before
 * anything is sent (validate.ts) so that this does not happen.
 */
const CHECKPOINT_SCRIPT = `
if redis.acl_check_cmd then
  local i = 2
  while i <= #ARGV do
    local argc = tonumber(ARGV[i + 2])
    if not redis.acl_check_cmd(ARGV[i], KEYS[tonumber(ARGV[i + 1])], unpack(ARGV, i + 3, math.min(i + 2 + argc, i + 4))) then
      return redis.error_reply('NOPERM this user has no permission to run ' .. ARGV[i] .. ' (nothing applied)')
    end
    i = i + 3 + argc
  end
end
if ARGV[1] ~= '' then
  local owner = redis.call('GET', KEYS[1])
  if owner ~= ARGV[1] then
    return redis.error_reply('FENCED partition claimed by generation ' .. tostring(owner) .. ', this member holds ' .. ARGV[1])
  end
end
local i = 2
while i <= #ARGV do
  local name, key, argc = ARGV[i], KEYS[tonumber(ARGV[i + 1])], tonumber(ARGV[i + 2])
  redis.call(name, key, unpack(ARGV, i + 3, i + 2 + argc))
  i = i + 3 + argc
end
return 'OK'
`

/** The keys a checkpoint script gets, in KEYS order (owner first). */
const SCRIPT_KEYS = ['owner', 'offset', 'dedup', 'kv', 'meta'] as const

export class RedisStateStore implements StateStore {
  readonly client: Redis | Cluster
  readonly #chunk: number
  #roundTrips = 0

  constructor(client: Redis | Cluster, options: Pick<RedisStoreOptions, 'chunkSize'> = {}) {
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

  async load(
    p: PartitionRef,
    now: number,
    opts: { claim?: boolean; dedupLimit?: number } = {},
  ): Promise<PartitionState> {
    checkRef(p)
    checkNow(now)
    const k = stateKeys(p)
    const [offset, dedup, kv, meta, owner] = await this.#send(`load of ${describeRef(p)}`, [
      ['get', k.offset],
      // `(` makes the bound exclusive: a member's score is its latest expiry, and it holds a live key
      // (now < expiresAt) only above now, as commit drops those with score <= now.
      ['zrangebyscore', k.dedup, `(${now}`, '+inf', 'WITHSCORES'],
      ['hgetall', k.kv],
      ['hgetall', k.meta],
      ...(opts.claim ? [['incr', k.owner]] : []),
    ])
    return {
      offset: (offset as string | null) ?? null,
      dedup: liveDedup(unpackDedup(dedup as string[]), now, opts.dedupLimit),
      kv: new Map(Object.entries(kv as Record<string, string>)),
      meta: { ...(meta as Record<string, string>) },
      ...(owner === undefined ? {} : { owner: Number(owner) }),
    }
  }

  async commit(batch: PartitionCommit[], now: number): Promise<{ bytes: number }> {
    checkNow(now)
    for (const c of batch) checkCommit(c)
    if (batch.length === 0) return { bytes: 0 }
    // A Redis Cluster takes a pipeline only when all its keys share a slot: one per partition then,
    // all sent at once.
    const groups = this.client instanceof Cluster ? batch.map((c) => [c]) : [batch]
    const results = (await Promise.all(groups.map((g) => this.#commitScripts(g, now)))).flat()
    const failures: TributaryError[] = []
    results.forEach(([error], i) => {
      if (error) failures.push(checkpointFailure(error, describeRef(batch[i]!.ref)))
    })
    if (failures.length > 0) throw combine(failures)
    return { bytes: checkpointBytes(batch) }
  }

  /** One pipeline of checkpoint scripts, one per partition, in order; their replies. */
  #commitScripts(batch: readonly PartitionCommit[], now: number): Promise<[Error | null, unknown][]> {
    const pipeline = this.client.pipeline()
    for (const c of batch) {
      const k = stateKeys(c.ref)
      const args: (string | Buffer)[] = [c.owner === undefined ? '' : String(c.owner)]
      for (const [name, key, ...rest] of checkpointCommands(c, now, this.#chunk)) {
        const at = SCRIPT_KEYS.findIndex((part) => k[part] === key)
        args.push(name!, String(at + 1), String(rest.length), ...rest)
      }
      // One array, not spread into the call: a catch-up epoch's keys are more arguments than a
      // call takes (the stack overflows past ~120k); ioredis flattens it.
      pipeline.call('eval', [
        CHECKPOINT_SCRIPT,
        String(SCRIPT_KEYS.length),
        ...SCRIPT_KEYS.map((part) => k[part]),
        ...args,
      ])
    }
    return this.#exec(pipeline, 'commit')
  }

  async clear(p: PartitionRef): Promise<void> {
    checkRef(p)
    const k = stateKeys(p)
    await this.#send(`clear of ${describeRef(p)}`, [['del', k.offset, k.dedup, k.kv, k.meta, k.owner]])
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
 * is written last. Each command's first argument is one of the partition's keys. Run after the owner
 * check, atomically, by CHECKPOINT_SCRIPT.
 */
export function checkpointCommands(
  c: PartitionCommit,
  now: number,
  chunk: number = DEFAULT_CHUNK,
): (string | Buffer)[][] {
  const k = stateKeys(c.ref)
  const commands: (string | Buffer)[][] = []
  for (const part of chunks(packDedup(c.changes.dedupAdd, c.offset), chunk)) {
    const zadd: (string | Buffer)[] = ['zadd', k.dedup]
    // Members go as bytes: as text, ioredis measured each one's UTF-8 length (flattening a string
    // built of a piece per key) and then encoded it again inside the command's text.
    for (const [score, member] of part) zadd.push(score, Buffer.from(member, 'utf8'))
    commands.push(zadd)
  }
  // Members whose keys have all expired are dropped at every checkpoint, so the set stays bounded by
  // the live keys.
  commands.push(['zremrangebyscore', k.dedup, '-inf', String(now)])
  for (const part of chunks(c.changes.kvPut, chunk)) commands.push(['hset', k.kv, ...part.flat()])
  for (const part of chunks(c.changes.kvDelete, chunk)) commands.push(['hdel', k.kv, ...part])
  for (const part of chunks(Object.entries(c.changes.meta), chunk))
    commands.push(['hset', k.meta, ...part.flat()])
  commands.push(['set', k.offset, c.offset])
  return commands
}

/**
 * Dedup keys are stored packed: one partition's keys of one commit are ONE sorted-set member (a few
 * for a large commit, each at most MAX_MEMBER_BYTES), not one member per key. A member per key cost
 * the engine an argument per key (its expiry's text, an array slot, ioredis encoding each argument)
 * and Redis a sorted-set insert per key and its removal at expiry: in `npm run bench` (1M events,
 * full pipeline, Avro, Redis checkpoints) ~0.5 CPU s per million events building the commands and
 * ~1.3 in Redis, and in a 5M run Redis spent 10.1 CPU s as the set grew to 5M members, on a 2-core
 * machine that everything shares.
 *
 * A member is a header, PACKED_HEADER + `<commit offset> <part>\n`, then `<key>\t<expiresAt>\n` per
 * key, the key escaped (backslash, tab, newline, NUL) so any string round-trips. Its score is its
 * latest expiry, so ZREMRANGEBYSCORE removes it once all its keys have expired; a load drops expired
 * keys one by one. Nothing in it is random, so re-applying a commit re-sets the same members. A key
 * in several members takes the expiry from the latest commit (highest offset), as a re-added key
 * takes the new expiry (one caveat: a key re-added with an EARLIER expiry than it had gets its old,
 * later one back once the newer member is gone, so it is remembered longer, never shorter). A member
 * without the header is a key stored alone by versions before packing, its score its expiry; those
 * are older than any packed member.
 */
const PACKED_HEADER = '\u0000d1 '

/** UTF-8 bytes a member's entries may take before the next part starts (one entry can exceed it). */
const MAX_MEMBER_BYTES = 1024 * 1024

/** A commit's dedup keys as `[score, member]` pairs for ZADD, in order. */
export function packDedup(adds: DedupAdds, offset: string): [score: string, member: string][] {
  const members: [string, string][] = []
  let body = ''
  let latest = Number.NEGATIVE_INFINITY
  const close = () => {
    members.push([String(latest), `${PACKED_HEADER}${offset} ${members.length}\n${body}`])
    body = ''
    latest = Number.NEGATIVE_INFINITY
  }
  const { keys, expiries } = adds
  // Keys admitted in the same millisecond share their expiry: its text is made once for them.
  let expiry = Number.NaN
  let expiryText = ''
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!
    const expiresAt = expiries[i]!
    if (expiresAt !== expiry) {
      expiry = expiresAt
      expiryText = `\t${expiresAt}\n`
    }
    const entry = `${escapeKey(key)}${expiryText}`
    // A UTF-16 unit is at most 3 UTF-8 bytes: a bound without measuring every key.
    if (body.length > 0 && (body.length + entry.length) * 3 > MAX_MEMBER_BYTES) close()
    body += entry
    if (expiresAt > latest) latest = expiresAt
  }
  if (body.length > 0) close()
  return members
}

/**
 * Every key of a ZRANGE ... WITHSCORES reply (`member, score, ...`), with its expiry from the latest
 * commit holding it, expired keys included.
 */
export function unpackDedup(reply: readonly string[]): Map<string, number> {
  const keys = new Map<string, number>()
  const packed: { member: string; offset: string; part: number }[] = []
  for (let i = 0; i < reply.length; i += 2) {
    const member = reply[i]!
    if (member.startsWith(PACKED_HEADER)) {
      const [offset = '', part = ''] = member.slice(PACKED_HEADER.length, member.indexOf('\n')).split(' ')
      packed.push({ member, offset, part: Number(part) })
    } else {
      keys.set(member, Number(reply[i + 1]))
    }
  }
  // Offsets are decimal without leading zeros, maybe past 2^53: the shorter one is the smaller.
  packed.sort(
    (a, b) =>
      a.offset.length - b.offset.length ||
      (a.offset < b.offset ? -1 : a.offset > b.offset ? 1 : a.part - b.part),
  )
  for (const { member } of packed) {
    let at = member.indexOf('\n') + 1
    while (at < member.length) {
      const tab = member.indexOf('\t', at)
      const end = member.indexOf('\n', at)
      if (tab < 0 || end < tab) {
        throw new TributaryError(
          'STATE_REJECTED',
          `dedup member ${JSON.stringify(member.slice(0, 80))} is not in the packed format`,
        )
      }
      keys.set(unescapeKey(member.slice(at, tab)), Number(member.slice(tab + 1, end)))
      at = end + 1
    }
  }
  return keys
}

const ESCAPE: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\0': '\\0' }
const UNESCAPE: Record<string, string> = { '\\': '\\', t: '\t', n: '\n', '0': '\0' }

function escapeKey(key: string): string {
  return /[\\\t\n\0]/.test(key) ? key.replace(/[\\\t\n\0]/g, (c) => ESCAPE[c]!) : key
}

function unescapeKey(text: string): string {
  return text.includes('\\') ? text.replace(/\\([\\tn0])/g, (_, c: string) => UNESCAPE[c]!) : text
}

/**
 * A script that failed: fenced (a newer claim: nothing applied), or a command failing while
 * executing (the commands before it applied), which is reported as a rejection to look into.
 */
function checkpointFailure(error: Error, partition: string): TributaryError {
  if (/^FENCED\b/.test(error.message))
    return new TributaryError(
      'STATE_FENCED',
      `checkpoint of ${partition} refused: ${error.message.replace(/^FENCED /, '')}; another member owns it now`,
      { cause: error },
    )
  return stateError(error, `checkpoint of ${partition}`)
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
