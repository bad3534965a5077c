import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parseReprocessArgs, summaryText } from '../../src/cli/commands/reprocess.ts'
import { main } from '../../src/cli/main.ts'

const NOW = Date.UTC(2026, 10, 30, 12, 0, 0)

test('reprocess reads open quarantine by default, one rule or reason code with --rule', () => {
  assert.deepEqual(parseReprocessArgs(['orders'], NOW), { topology: 'orders', from: { kind: 'quarantine' } })
  assert.deepEqual(parseReprocessArgs(['orders', '--from-quarantine', '--rule', 'amount.positive'], NOW), {
    topology: 'orders',
    from: { kind: 'quarantine', rule: 'amount.positive' },
  })
})

test('--from-bronze takes --since as a duration before now or a time', () => {
  assert.deepEqual(parseReprocessArgs(['orders', '--from-bronze', '--since', '2h', '--chunk', '500'], NOW), {
    topology: 'orders',
    from: { kind: 'bronze', since: NOW - 2 * 3_600_000 },
    chunkOffsets: 500,
  })
  assert.deepEqual(
    parseReprocessArgs(['orders', '--from-bronze', '--since', '2026-11-29T00:00:00Z'], NOW).from,
    {
      kind: 'bronze',
      since: Date.UTC(2026, 10, 29),
    },
  )
})

test('reprocess options that do not go together fail naming the option and the fix', () => {
  const cases: [string[], RegExp][] = [
    [['orders', '--from-bronze'], /--since: is required with --from-bronze/],
    [['orders', '--since', '1h'], /--since: applies to --from-bronze only/],
    [
      ['orders', '--from-bronze', '--since', '1h', '--rule', 'x'],
      /--rule: applies to --from-quarantine only/,
    ],
    [['orders', '--from-bronze', '--from-quarantine', '--since', '1h'], /choose one source/],
    [['orders', '--from-bronze', '--since', 'yesterday'], /neither a time nor a duration/],
    [['orders', '--chunk', '0'], /--chunk: "0" is not a positive integer/],
    [[], /usage: tributary reprocess <topology>/],
  ]
  for (const [args, message] of cases) assert.throws(() => parseReprocessArgs(args, NOW), message)
})

test('the summary names what went where and the tables to look at', () => {
  const text = summaryText(
    {
      runId: 'r1',
      rulesVersion: 'abc',
      read: 12,
      toSilver: 9,
      alreadyInSilver: 1,
      duplicates: 0,
      stillRejected: { JSON_PARSE_FAILED: 2 },
      newlyQuarantined: 0,
      resolved: 10,
      chunks: 2,
      goldsNotFed: ['customer_sessions'],
      accounting: { bronze: 120, silver: 100, openQuarantine: 2, resolvedDuplicates: 1 },
      durationMs: 1500,
    },
    'orders',
  )
  assert.match(text, /to silver and gold +9/)
  assert.match(text, /still rejected +2 \(JSON_PARSE_FAILED 2\): open in quarantine_orders_open/)
  assert.match(text, /resolved +10 rows in quarantine_orders_resolved/)
  assert.match(text, /not fed \(session windows, reduce\): customer_sessions/)
  assert.match(
    text,
    /bronze 120 = silver 100 \+ open quarantine 2 \+ 18 duplicates dropped \(1 of them by reprocess/,
  )
})

test('--help lists reprocess', async (t) => {
  const lines: string[] = []
  t.mock.method(console, 'log', (line: string) => lines.push(line))
  assert.equal(await main(['--help']), 0)
  assert.match(lines.join('\n'), /^ {2}reprocess +run open quarantine/m)
})
