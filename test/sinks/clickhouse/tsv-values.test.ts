import assert from 'node:assert/strict'
import { test } from 'node:test'
import { integerPrinter, number } from '../../../src/sinks/clickhouse/tsv-values.ts'

test('a float is written as String writes it, for amounts with cents and any other double', () => {
  const values = [0, -0, 0.01, -0.01, 0.1, 0.05, 1.5, -1.5, 100, -123.4, 123456.78, 21474836.47, 21474836.48]
  values.push(1e-7, 0.30000000000000004, 5e-324, 1e21, -1e21, Number.MAX_VALUE, 2 ** 53 + 2, 1 / 3)
  for (let i = 0; i < 200_000; i++) values.push(((i * 7919) % 10_000_000) / 100, -i / 100, i / 1000)
  let seed = 42
  for (let i = 0; i < 100_000; i++) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31
    values.push((seed - 2 ** 30) / 2 ** (seed % 40))
  }
  for (const v of values) assert.equal(number(v), String(v), `for ${v}`)
  assert.deepEqual([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY].map(number), [
    'nan',
    'inf',
    '-inf',
  ])
})

test('an integer is written as String writes it, around every split and limit', () => {
  const values = [0, -0, 1, -1, 999_999, 1_000_000, 1_000_001, 1_999_999, 2 ** 31, 1_764_500_000_000]
  values.push(Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 1, 2 ** 60, -1_764_500_000_000, 1.5e6 + 0.5)
  values.push(Number.NaN, Number.POSITIVE_INFINITY, 1e21)
  // Consecutive values share their high digits (the kept text), then cross into the next million.
  for (let i = 0; i < 300_000; i++) values.push(1_764_499_900_000 + i * 7, 10_000_000 * i + (i % 13))
  const print = integerPrinter()
  for (const v of values) assert.equal(print(v), String(v), `for ${v}`)
})
