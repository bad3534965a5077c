/**
 * One error type for both engines, so callers decide wait-or-route from `retriable` alone and never
 * look at transport details. Retriable means "the same statement may succeed later unchanged".
 */
import { TributaryError } from '../errors/tributary-error.ts'

export class ClickHouseError extends TributaryError {
  /** ClickHouse's numeric exception code, when the engine answered with one. */
  readonly clickhouseCode: number | undefined
  readonly httpStatus: number | undefined

  constructor(
    code: string,
    message: string,
    options: { retriable: boolean; cause?: unknown; clickhouseCode?: number; httpStatus?: number },
  ) {
    super(code, message, { retriable: options.retriable, cause: options.cause })
    this.clickhouseCode = options.clickhouseCode
    this.httpStatus = options.httpStatus
  }
}

/**
 * Exception codes meaning overload or a transient server state rather than a wrong statement:
 * timeouts, too many queries/parts, memory pressure, read-only replicas, network inside the cluster.
 */
const RETRIABLE_CLICKHOUSE_CODES: ReadonlySet<number> = new Set([
  159, // TIMEOUT_EXCEEDED
  202, // TOO_MANY_SIMULTANEOUS_QUERIES
  203, // NO_FREE_CONNECTION
  209, // SOCKET_TIMEOUT
  210, // NETWORK_ERROR
  241, // MEMORY_LIMIT_EXCEEDED
  242, // TABLE_IS_READ_ONLY
  252, // TOO_MANY_PARTS
  319, // UNKNOWN_STATUS_OF_INSERT
  473, // DEADLOCK_AVOIDED
])

/**
 * Exception codes meaning "this data cannot go into that column": a value that does not parse, does
 * not fit its type or breaks an encoding. One row is to blame, so a refused block is split to find it
 * (sinks/refused-rows.ts); any other refusal (unknown table, bad statement) blames no row.
 */
const ROW_DATA_CLICKHOUSE_CODES: ReadonlySet<number> = new Set([
  6, // CANNOT_PARSE_TEXT
  25, // CANNOT_PARSE_ESCAPE_SEQUENCE
  26, // CANNOT_PARSE_QUOTED_STRING
  27, // CANNOT_PARSE_INPUT_ASSERTION_FAILED
  38, // CANNOT_PARSE_DATE
  41, // CANNOT_PARSE_DATETIME
  53, // TYPE_MISMATCH
  69, // ARGUMENT_OUT_OF_BOUND ("Decimal value is too small", "Too many digits in decimal value")
  70, // CANNOT_CONVERT_TYPE
  72, // CANNOT_PARSE_NUMBER
  117, // INCORRECT_DATA
  131, // TOO_LARGE_STRING_SIZE
  321, // VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE
  407, // DECIMAL_OVERFLOW
])

/** A non-retriable refusal that some row's data caused. */
export function isRowDataRefusal(err: unknown): err is ClickHouseError {
  return (
    err instanceof ClickHouseError &&
    !err.retriable &&
    err.clickhouseCode !== undefined &&
    ROW_DATA_CLICKHOUSE_CODES.has(err.clickhouseCode)
  )
}

/** ClickHouse's words for a refused row, without the statement, the echoed data or C++ names. */
export function refusalText(err: ClickHouseError): string {
  const text = err.message
  // JSONEachRow names the key it was reading; TabSeparated lists the row's columns and marks the one
  // that failed with ERROR (18.16 omits the list for some errors, e.g. a decimal's scale).
  const detail = err.cause instanceof Error ? err.cause.message : text
  const column = (/value of key ([^\s):]+)/.exec(detail) ?? /name: ([^\s,]+),[^\n]*ERROR/.exec(detail))?.[1]
  const what = (/DB::Exception: ([^:(]+?)(?:, e\.what|[:(]|$)/m.exec(text)?.[1] ?? firstLine(text)).trim()
  return `${column ? `column ${column}: ` : ''}${what} (ClickHouse code ${err.clickhouseCode})`
}

const RETRIABLE_SOCKET_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
])

const RETRIABLE_HTTP_STATUS: ReadonlySet<number> = new Set([408, 429, 502, 503, 504])

/** 18.16 writes "Code: 62, e.displayText() = ...", newer servers "Code: 62. DB::Exception: ...". */
export function clickhouseCodeOf(text: string): number | undefined {
  const m = /Code: (\d+)[.,]/.exec(text)
  return m ? Number(m[1]) : undefined
}

export function isRetriableClickHouseCode(code: number | undefined): boolean {
  return code !== undefined && RETRIABLE_CLICKHOUSE_CODES.has(code)
}

function socketCodeOf(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code
    if (typeof code === 'string' && RETRIABLE_SOCKET_CODES.has(code)) return code
  }
  return undefined
}

/** Keeps errors readable (and INSERT bodies out of them) however long the statement was. */
export function sqlExcerpt(sql: string): string {
  const oneLine = sql.replace(/\s+/g, ' ').trim()
  return oneLine.length > 200 ? `${oneLine.slice(0, 200)}…` : oneLine
}

/** Wraps whatever the HTTP client threw; `what` says which statement, for the message. */
export function fromHttpError(err: unknown, what: string): ClickHouseError {
  if (err instanceof ClickHouseError) return err
  const message = err instanceof Error ? err.message : String(err)
  const socket = socketCodeOf(err)
  if (socket !== undefined) {
    return new ClickHouseError(
      'CLICKHOUSE_UNAVAILABLE',
      `ClickHouse unreachable (${socket}) during ${what}`,
      {
        retriable: true,
        cause: err,
      },
    )
  }
  // The client rejects with a bare "Timeout error." when request_timeout elapses.
  if (/timeout/i.test(message) && !/Code: \d+/.test(message)) {
    return new ClickHouseError('CLICKHOUSE_TIMEOUT', `ClickHouse timed out during ${what}`, {
      retriable: true,
      cause: err,
    })
  }
  const status = (err as { statusCode?: unknown }).statusCode
  const httpStatus = typeof status === 'number' ? status : undefined
  const rawCode = (err as { code?: unknown }).code
  const chCode =
    typeof rawCode === 'string' && /^\d+$/.test(rawCode) ? Number(rawCode) : clickhouseCodeOf(message)
  const retriable =
    isRetriableClickHouseCode(chCode) || (httpStatus !== undefined && RETRIABLE_HTTP_STATUS.has(httpStatus))
  return new ClickHouseError(
    retriable ? 'CLICKHOUSE_TRANSIENT' : 'CLICKHOUSE_QUERY_FAILED',
    `ClickHouse rejected ${what}: ${firstLine(message)}`,
    { retriable, cause: err, clickhouseCode: chCode, httpStatus },
  )
}

/** Wraps an error from the chdb addon (ChdbQueryError, ChdbSyntaxError, ChdbTimeoutError, ...). */
export function fromChdbError(err: unknown, what: string): ClickHouseError {
  if (err instanceof ClickHouseError) return err
  const message = err instanceof Error ? err.message : String(err)
  const name = err instanceof Error ? err.name : ''
  const rawCode = (err as { clickhouseCode?: unknown }).clickhouseCode
  const chCode = typeof rawCode === 'number' ? rawCode : clickhouseCodeOf(message)
  // An in-process engine has no network: only its own timeouts and overload codes are transient.
  // A closed session stays closed, so that is not retriable.
  const retriable = name === 'ChdbTimeoutError' || isRetriableClickHouseCode(chCode)
  const code =
    name === 'ChdbClosedError'
      ? 'CLICKHOUSE_CLOSED'
      : retriable
        ? 'CLICKHOUSE_TRANSIENT'
        : 'CLICKHOUSE_QUERY_FAILED'
  return new ClickHouseError(code, `chDB rejected ${what}: ${firstLine(message)}`, {
    retriable,
    cause: err,
    clickhouseCode: chCode,
  })
}

function firstLine(message: string): string {
  const line = message.split('\n', 1)[0] ?? ''
  return line.length > 500 ? `${line.slice(0, 500)}…` : line
}
