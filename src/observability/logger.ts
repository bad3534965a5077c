/**
 * The engine's logger: JSON lines for machines by default, pino-pretty for a person at a terminal.
 * Secrets are redacted here, once, so no call site can leak a SASL password by logging a config.
 */
import { type DestinationStream, type Level, type Logger, levels, pino } from 'pino'
import { prettyFactory } from 'pino-pretty'
import { ConfigError } from '../errors/tributary-error.ts'

export type { Logger }

export interface LoggerOptions {
  /** pino level name; default 'info'. */
  level?: string
  /** Human-readable output. Default: true when writing to stdout and stdout is a TTY. */
  pretty?: boolean
  /** Where lines go; default stdout. Tests pass a stream they read back. */
  destination?: DestinationStream | NodeJS.WritableStream
}

const SECRET_KEYS = ['password', 'sasl', 'authorization', 'token']

// fast-redact matches fixed depths only; three levels cover `{ config: { kafka: { sasl } } }` and
// `{ req: { headers: { authorization } } }`, the shapes the engine actually logs.
export const REDACT_PATHS: readonly string[] = SECRET_KEYS.flatMap((k) => [
  k,
  `*.${k}`,
  `*.*.${k}`,
  `*.*.*.${k}`,
])

export const REDACTED = '[redacted]'

export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? 'info'
  if (level !== 'silent' && !Object.hasOwn(levels.values, level)) {
    throw new ConfigError(
      'log.level',
      `'${level}' is not a log level`,
      `use one of ${[...Object.keys(levels.values), 'silent'].join(', ')}`,
    )
  }
  const usePretty = options.pretty ?? (options.destination === undefined && process.stdout.isTTY === true)
  const pinoOptions = {
    level: level as Level,
    redact: { paths: [...REDACT_PATHS], censor: REDACTED },
    // Own errors carry `code` and `retriable`; pino's err serializer keeps enumerable fields.
    serializers: { err: pino.stdSerializers.err },
  }
  if (usePretty) {
    // Formatting in-process and synchronously rather than through a worker-thread transport: the
    // last lines before a crash are the ones that matter, and a worker can die with them queued.
    const prettify = prettyFactory({
      colorize: options.destination === undefined && process.stdout.isTTY === true,
    })
    const out = options.destination ?? process.stdout
    return pino(pinoOptions, { write: (line: string) => void out.write(prettify(line)) })
  }
  return options.destination === undefined ? pino(pinoOptions) : pino(pinoOptions, options.destination)
}
