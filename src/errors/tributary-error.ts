/**
 * The root of Tributary's one error tree. `retriable` decides between waiting (a service is down:
 * retry, pause consumption, lose nothing) and routing (the input is bad: dead-letter it).
 */
export class TributaryError extends Error {
  readonly code: string
  readonly retriable: boolean

  constructor(code: string, message: string, options: { retriable?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = new.target.name
    this.code = code
    this.retriable = options.retriable ?? false
  }
}

/** A bad configuration value: names the field, the value and the fix; raised once, at start-up. */
export class ConfigError extends TributaryError {
  readonly field: string

  constructor(field: string, problem: string, fix: string) {
    super('CONFIG_INVALID', `configuration ${field}: ${problem}. Fix: ${fix}`)
    this.field = field
  }
}

/** A record that cannot become a typed value: undecodable bytes, unknown schema id, wrong type. */
export class DecodeError extends TributaryError {
  constructor(message: string, options: { cause?: unknown; code?: string } = {}) {
    // Bad input is data: its message and code travel to quarantine, a stack never does. Capturing
    // one cost ~4 µs per rejected record (tributary-silver-avro-garbage20 profile).
    const stackTraceLimit = Error.stackTraceLimit
    Error.stackTraceLimit = 0
    try {
      super(options.code ?? 'DECODE_FAILED', message, { cause: options.cause })
    } finally {
      Error.stackTraceLimit = stackTraceLimit
    }
  }
}
