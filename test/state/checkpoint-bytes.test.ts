import assert from 'node:assert/strict'
import { test } from 'node:test'
import { decimalLength, utf8Length } from '../../src/state/checkpoint-bytes.ts'

test('utf8Length is Buffer.byteLength, surrogates (paired, lone, at the end) included', () => {
  const samples = [
    '',
    'evt-0000000001',
    'é',
    '€uro',
    '🦆',
    'a🦆b',
    '\ud83e',
    '\udd86x',
    'x\ud83e',
    '\ud83e\ud83e\udd86',
  ]
  // And random strings over every UTF-16 range, lone surrogates included.
  let seed = 7
  const next = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31
    return seed
  }
  for (let n = 0; n < 2000; n++) {
    const units = Array.from(
      { length: next() % 12 },
      () =>
        [0x41, 0x7f, 0x80, 0x7ff, 0x800, 0xd800, 0xdbff, 0xdc00, 0xdfff, 0xffff][next() % 10]! +
        (next() % 3) -
        1,
    )
    samples.push(String.fromCharCode(...units.map((u) => Math.min(Math.max(u, 0), 0xffff))))
  }
  for (const s of samples) assert.equal(utf8Length(s), Buffer.byteLength(s, 'utf8'), JSON.stringify(s))
})

test('decimalLength is the length of String(n)', () => {
  const samples = [
    0,
    1,
    9,
    10,
    99,
    100,
    -1,
    -10,
    1_764_000_000_000,
    10 ** 15,
    10 ** 15 - 1,
    Number.MAX_SAFE_INTEGER,
  ]
  samples.push(-Number.MAX_SAFE_INTEGER, 2 ** 53, 1.5, -0.25, 1e21, Number.NaN, Number.POSITIVE_INFINITY)
  for (const n of samples) assert.equal(decimalLength(n), String(n).length, String(n))
})
