// The packed dedup format alone (no Redis): what a checkpoint writes and a load reads back.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { DedupAdds } from '../../src/state/dedup-adds.ts'
import { packDedup, unpackDedup } from '../../src/state/redis-store.ts'

const pack = (keys: [string, number][], offset: string) => packDedup(DedupAdds.of(keys), offset)

/** The reply a `ZRANGEBYSCORE ... WITHSCORES` of these members gives: member, score, ... */
function reply(members: [score: string, member: string][]): string[] {
  return members.flatMap(([score, member]) => [member, score])
}

test('a commit is one member, scored by its latest expiry, and any string key round-trips', () => {
  const keys: [string, number][] = [
    ['plain', 2000],
    ['tab\there', 3000],
    ['new\nline', 1000],
    ['back\\slash\\t', 1500],
    ['nul\u0000byte', 2500],
    ['\\n\t\n\u0000\\', 1200],
    ['', 1100],
    ['émoji 🦆', 1300],
  ]
  const members = pack(keys, '42')
  assert.equal(members.length, 1)
  assert.equal(members[0]![0], '3000')
  assert.deepEqual(unpackDedup(reply(members)), new Map(keys))
})

test('the same commit packs to byte-identical members, so re-applying it re-sets them', () => {
  const keys: [string, number][] = Array.from({ length: 1000 }, (_, i) => [`k${i}`, 1000 + i])
  assert.deepEqual(pack(keys, '7'), pack(structuredClone(keys), '7'))
})

test('a large commit splits into members of at most 1 MiB of UTF-8, losing nothing', () => {
  // 3-byte characters: the bound must hold in bytes, not in string length.
  const keys: [string, number][] = Array.from({ length: 40_000 }, (_, i) => [`€€€€€€€€-${i}`, 10_000 + i])
  const members = pack(keys, '9')
  assert.ok(members.length > 1, `${members.length} members`)
  for (const [, member] of members) assert.ok(Buffer.byteLength(member) <= 1024 * 1024 + 64)
  assert.deepEqual(
    members.map(([score]) => score),
    members.map(([, member]) => String(Math.max(...unpackDedup([member, '0']).values()))),
  )
  assert.deepEqual(unpackDedup(reply(members)), new Map(keys))
})

test('a key in several commits takes the expiry of the latest commit, offsets compared as numbers', () => {
  const members = [
    // Newest first, and '10' < '9' as text: the order must come from the offsets.
    ...pack([['k', 1000]], '10'),
    ...pack([['k', 5000]], '9'),
    ...pack([['big', 1]], '9007199254740993'),
    ...pack([['big', 2]], '9007199254740992'),
  ]
  assert.deepEqual(
    unpackDedup(reply(members)),
    new Map([
      ['k', 1000],
      ['big', 1],
    ]),
  )
})

test('members without the header are keys stored one per member, older than any packed commit', () => {
  const keys = unpackDedup(['old-only', '700', 'both', '900', ...reply(pack([['both', 800]], '1'))])
  assert.deepEqual(
    keys,
    new Map([
      ['old-only', 700],
      ['both', 800],
    ]),
  )
})

test('a member with the header but not the format is refused, not looped over', () => {
  assert.throws(
    () => unpackDedup(['\u0000d1 5 0\nno tab here\n', '1']),
    (e: Error & { code?: string }) => e.code === 'STATE_REJECTED' && /packed format/.test(e.message),
  )
})
