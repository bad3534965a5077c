import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  tsvClean,
  tsvStringArray,
  tsvText,
  writeTsvEscaped,
} from '../../../src/sinks/clickhouse/tab-separated.ts'

describe('TabSeparated fields', () => {
  it('only a tab, a newline or a backslash makes bytes unclean', () => {
    assert.equal(tsvClean(Buffer.from('{"a":1,"b":"x y"}\r\u0000')), true)
    for (const bad of ['a\tb', 'a\nb', 'a\\b']) assert.equal(tsvClean(Buffer.from(bad)), false, bad)
  })

  it('escapes bytes the way ClickHouse writes them and leaves the rest alone', () => {
    const input = Buffer.from('x\ty\nz\\w\r\u0000é')
    const out = new Uint8Array(input.length * 2)
    const end = writeTsvEscaped(input, out, 0)
    assert.equal(Buffer.from(out.subarray(0, end)).toString('utf8'), 'x\\ty\\nz\\\\w\\r\\0é')
  })

  it('escapes text only when it has to', () => {
    const plain = '{"k":"v"}'
    assert.equal(tsvText(plain), plain)
    assert.equal(tsvText('a\tb\\c'), 'a\\tb\\\\c')
  })

  it('writes string arrays as quoted literals', () => {
    assert.equal(tsvStringArray([]), '[]')
    assert.equal(tsvStringArray(['a.b', "it's", 'back\\slash']), "['a.b','it\\'s','back\\\\slash']")
  })
})
