import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { chdbPath } from '../../src/clickhouse/connect.ts'
import { clickhouseCodeOf, fromChdbError, fromHttpError, refusalText } from '../../src/clickhouse/errors.ts'
import { redactUrl } from '../../src/config/url-credentials.ts'

describe('error classification', () => {
  it('socket errors anywhere in the cause chain are retriable', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })
    const e = fromHttpError(new Error('request failed', { cause: refused }), 'SELECT 1')
    assert.equal(e.retriable, true)
    assert.equal(e.code, 'CLICKHOUSE_UNAVAILABLE')
    assert.equal(e.cause instanceof Error, true)
  })

  it('503 is retriable, a syntax error is not', () => {
    assert.equal(
      fromHttpError(Object.assign(new Error('Service Unavailable'), { statusCode: 503 }), 'x').retriable,
      true,
    )
    const syntax = fromHttpError(new Error('Code: 62, e.displayText() = DB::Exception: Syntax error'), 'x')
    assert.equal(syntax.retriable, false)
    assert.equal(syntax.clickhouseCode, 62)
  })

  it('overload codes are retriable on both engines', () => {
    assert.equal(fromHttpError(new Error('Code: 252. DB::Exception: Too many parts'), 'x').retriable, true)
    assert.equal(
      fromChdbError(Object.assign(new Error('boom'), { clickhouseCode: 241 }), 'x').retriable,
      true,
    )
    assert.equal(fromChdbError(Object.assign(new Error('bad'), { clickhouseCode: 47 }), 'x').retriable, false)
  })

  it('reads both exception text styles', () => {
    assert.equal(clickhouseCodeOf('Code: 60, e.displayText() = DB::Exception: Table x'), 60)
    assert.equal(clickhouseCodeOf('Code: 60. DB::Exception: Unknown table'), 60)
    assert.equal(clickhouseCodeOf('no code here'), undefined)
  })
})

describe('URLs', () => {
  it('chdb: is temporary, chdb:///path persistent, relative paths refused', () => {
    assert.equal(chdbPath('chdb:'), undefined)
    assert.equal(chdbPath('chdb://'), undefined)
    assert.equal(chdbPath('chdb:///var/lib/t'), '/var/lib/t')
    assert.throws(() => chdbPath('chdb:data'), /absolute path/)
  })

  it('redacts user info', () => {
    assert.equal(redactUrl('http://u:secret@h:8123/db'), 'http://***@h:8123/db')
  })

  it("a refused row names its column: from JSONEachRow's key, or from TabSeparated's row diagnostics", () => {
    // The texts the two formats produce on 18.16 (captured from the dev stack's server).
    const json = fromHttpError(
      new Error(
        'Code: 69, e.displayText() = DB::Exception: Decimal value is too big: (while read the value of key amount), e.what() = DB::Exception',
      ),
      'INSERT',
    )
    assert.equal(refusalText(json), 'column amount: Decimal value is too big (ClickHouse code 69)')
    const tsv = fromHttpError(
      new Error(
        'Code: 27, e.displayText() = DB::Exception: Cannot parse input: expected \\t before: x\\t1\\n: (at row 1)\n\nRow 1:\nColumn 0,   name: a,      type: Int32,          parsed text: "1"\nColumn 1,   name: amount, type: Decimal(12, 2), ERROR: text "x<TAB>1<LINE FEED>" is not like Decimal(12, 2)\n\n, e.what() = DB::Exception',
      ),
      'INSERT',
    )
    assert.equal(refusalText(tsv), 'column amount: Cannot parse input (ClickHouse code 27)')
    const bare = fromHttpError(
      new Error(
        'Code: 69, e.displayText() = DB::Exception: Decimal value is too small, e.what() = DB::Exception',
      ),
      'INSERT',
    )
    assert.equal(refusalText(bare), 'Decimal value is too small (ClickHouse code 69)')
  })
})
