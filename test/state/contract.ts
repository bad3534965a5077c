import assert from 'node:assert/strict'
import { DedupAdds } from '../../src/state/dedup-adds.ts'
import type {
  PartitionChanges,
  PartitionRef,
  PartitionState,
  StateStore,
} from '../../src/state/state-store.ts'
import { emptyChanges } from '../../src/state/state-store.ts'

/** A loaded state in a form deepEqual compares stably and prints readably. */
export interface Snapshot {
  offset: string | null
  dedup: [string, number][]
  kv: [string, string][]
  meta: [string, string][]
}

export function snapshot(s: PartitionState): Snapshot {
  const byKey = <V>(a: [string, V], b: [string, V]) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)
  return {
    offset: s.offset,
    dedup: [...s.dedup].sort(byKey),
    kv: [...s.kv].sort(byKey),
    meta: Object.entries(s.meta).sort(byKey),
  }
}

function changes(
  c: Partial<Omit<PartitionChanges, 'dedupAdd'>> & { dedupAdd?: [string, number][] },
): PartitionChanges {
  return { ...emptyChanges(), ...c, dedupAdd: DedupAdds.of(c.dedupAdd ?? []) }
}

/**
 * One sequence of commits, loads and a clear, asserting the contract at each step, and returning
 * everything observed so two stores can be compared for identical behaviour.
 */
export async function contractScenario(store: StateStore, topology: string): Promise<unknown[]> {
  const p0: PartitionRef = { topology, topic: 'orders', partition: 0 }
  const p1: PartitionRef = { topology, topic: 'orders', partition: 1 }
  const seen: unknown[] = []
  const load = async (p: PartitionRef, now: number) => {
    const s = snapshot(await store.load(p, now))
    seen.push(s)
    return s
  }

  assert.deepEqual(await load(p0, 1000), { offset: null, dedup: [], kv: [], meta: [] })

  const first = await store.commit(
    [
      {
        ref: p0,
        offset: '10',
        changes: changes({
          dedupAdd: [
            ['a', 1500],
            ['b', 2000],
            ['late', 900],
          ],
          kvPut: [
            ['win:1', '{"sum":1}'],
            ['win:2', '{"sum":2}'],
          ],
          meta: { watermark: '{"t":1}' },
        }),
      },
    ],
    1000,
  )
  seen.push(first)
  assert.ok(first.bytes > 0)
  assert.deepEqual(await load(p0, 1000), {
    offset: '10',
    dedup: [
      ['a', 1500],
      ['b', 2000],
    ],
    kv: [
      ['win:1', '{"sum":1}'],
      ['win:2', '{"sum":2}'],
    ],
    meta: [['watermark', '{"t":1}']],
  })

  seen.push(
    await store.commit(
      [
        {
          ref: p0,
          offset: '20',
          changes: changes({
            dedupAdd: [
              ['d', 3000],
              ['b', 2500],
            ],
            kvPut: [
              ['win:1', '{"sum":5}'],
              ['win:3', '{"sum":3}'],
              ['win:4', 'short-lived'],
            ],
            kvDelete: ['win:2', 'win:4', 'never-there'],
            meta: { watermark: '{"t":2}', epoch: '7' },
          }),
        },
        { ref: p1, offset: '3', changes: changes({ kvPut: [['win:1', 'p1']] }) },
      ],
      1500,
    ),
  )
  // 'a' expires exactly at 1500: expiry is inclusive of now, liveness exclusive.
  assert.deepEqual(await load(p0, 1500), {
    offset: '20',
    dedup: [
      ['b', 2500],
      ['d', 3000],
    ],
    kv: [
      ['win:1', '{"sum":5}'],
      ['win:3', '{"sum":3}'],
    ],
    meta: [
      ['epoch', '7'],
      ['watermark', '{"t":2}'],
    ],
  })
  assert.deepEqual(await load(p1, 1500), { offset: '3', dedup: [], kv: [['win:1', 'p1']], meta: [] })

  // A limit loads the latest-expiring keys only, in ascending expiry order (memory keeps the newest).
  const limited = await store.load(p0, 1500, { dedupLimit: 1 })
  seen.push([...limited.dedup])
  assert.deepEqual([...limited.dedup], [['d', 3000]])
  assert.deepEqual(
    [...(await store.load(p0, 1500, { dedupLimit: 5 })).dedup],
    [
      ['b', 2500],
      ['d', 3000],
    ],
  )

  // Expired keys are not loaded even before a commit has trimmed them.
  assert.deepEqual((await load(p0, 2600)).dedup, [['d', 3000]])

  seen.push(await store.commit([{ ref: p0, offset: '21', changes: emptyChanges() }], 2600))
  assert.equal((await load(p0, 2600)).offset, '21')

  await store.clear(p0)
  assert.deepEqual(await load(p0, 2600), { offset: null, dedup: [], kv: [], meta: [] })
  assert.equal((await load(p1, 2600)).offset, '3')
  await store.clear(p1)
  return seen
}

/**
 * Fencing: a load that claims a partition makes every earlier holder's commits fail with
 * STATE_FENCED, with nothing of theirs applied; the new holder and unfenced partitions still write.
 */
export async function fencingScenario(store: StateStore, topology: string): Promise<void> {
  const p: PartitionRef = { topology, topic: 'orders', partition: 0 }
  const other: PartitionRef = { topology, topic: 'orders', partition: 1 }
  const zombie = await store.load(p, 0, { claim: true })
  const heir = await store.load(p, 0, { claim: true })
  assert.ok(zombie.owner !== undefined && heir.owner !== undefined && heir.owner > zombie.owner)
  assert.equal((await store.load(p, 0)).owner, undefined, 'an inspection load claims nothing')
  await assert.rejects(
    store.commit(
      [
        { ref: p, offset: '99', owner: zombie.owner, changes: changes({ kvPut: [['stale', 'x']] }) },
        { ref: other, offset: '5', changes: emptyChanges() },
      ],
      0,
    ),
    (err: Error & { code?: string }) => err.code === 'STATE_FENCED',
  )
  const after = snapshot(await store.load(p, 0))
  assert.equal(after.offset, null, "the stale member's offset did not land")
  assert.deepEqual(after.kv, [])
  assert.equal((await store.load(other, 0)).offset, '5', 'an unfenced partition of the batch still wrote')
  await store.commit([{ ref: p, offset: '7', owner: heir.owner, changes: emptyChanges() }], 0)
  assert.equal((await store.load(p, 0)).offset, '7')
  await store.clear(p)
  await store.clear(other)
}
