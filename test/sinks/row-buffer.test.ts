import assert from 'node:assert/strict'
import { test } from 'node:test'
import { RowBuffer } from '../../src/sinks/row-buffer.ts'

const text = (chunks: readonly Buffer[]) => Buffer.concat(chunks).toString('utf8')

test('lines come back newline-terminated, in order, across many chunks', () => {
  const buffer = new RowBuffer()
  const lines = Array.from({ length: 5_000 }, (_, i) => JSON.stringify({ i, pad: 'x'.repeat(i % 300) }))
  for (const line of lines) buffer.add(line)
  assert.equal(buffer.rows, lines.length)
  const chunks = buffer.take()
  assert.ok(chunks.length > 1, 'a batch this size spans several chunks')
  assert.equal(text(chunks), `${lines.join('\n')}\n`)
})

test('multi-byte characters and a line longer than a chunk are encoded whole', () => {
  const buffer = new RowBuffer()
  const wide = JSON.stringify({ s: 'é€😀'.repeat(40_000) })
  const long = JSON.stringify({ s: 'y'.repeat(600_000) })
  buffer.add('{"a":1}')
  buffer.add(wide)
  buffer.add(long)
  buffer.add('{"b":2}')
  assert.equal(text(buffer.take()), `{"a":1}\n${wide}\n${long}\n{"b":2}\n`)
})

test('take hands over what was added and starts afresh', () => {
  const buffer = new RowBuffer()
  buffer.add('{"a":1}')
  const first = buffer.take()
  buffer.add('{"b":2}')
  assert.equal(buffer.rows, 1)
  assert.equal(text(first), '{"a":1}\n', 'chunks already taken are not written into again')
  assert.equal(text(buffer.take()), '{"b":2}\n')
  assert.deepEqual(buffer.take(), [])
  assert.equal(buffer.rows, 0)
})

test('rows written in pieces keep text and bytes in order, escaped where a byte needs it', () => {
  const buffer = new RowBuffer()
  const expected: string[] = []
  for (let i = 0; i < 3_000; i++) {
    const payload = i % 7 === 0 ? `tab\there ${i}` : `{"i":${i},"pad":"${'z'.repeat(i % 200)}"}`
    buffer.text(`head-${i}\t`)
    buffer.tsvBytes(Buffer.from(payload))
    buffer.text(`\ttail-${i}`)
    buffer.endRow()
    expected.push(`head-${i}\t${payload.replace('\t', '\\t')}\ttail-${i}\n`)
  }
  assert.equal(buffer.rows, 3_000)
  assert.equal(text(buffer.take()), expected.join(''))
})

test('text is UTF-8 whether it is ASCII, Latin-1 or wider, alone or mixed in one encoding', () => {
  // Latin-1 text is one byte per character in memory but two in UTF-8: it must not be copied as is.
  const samples = ['plain ascii', 'café ÿ \u0080', 'é€😀', 'lone \ud800 surrogate', '\u0000\u007f']
  for (const group of [...samples.map((s) => [s]), samples]) {
    const buffer = new RowBuffer()
    for (const s of group) buffer.add(s)
    const bytes = Buffer.concat(buffer.take())
    assert.deepEqual(bytes, Buffer.from(group.map((s) => `${s}\n`).join(''), 'utf8'), JSON.stringify(group))
  }
})
