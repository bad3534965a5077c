import { createRequire } from 'node:module'
import { Kafka, logLevel } from 'kafkajs'
import type { Logger } from 'pino'
import type { TributaryConfig } from '../../config/config.ts'
import { useFastRecordDecoder } from './record-decoder.ts'

const LEVELS: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
}

// kafkajs's own table of protocol errors (not in its typings), for which of them it retries.
const { errorCodes } = createRequire(import.meta.url)('kafkajs/src/protocol/error.js') as {
  errorCodes: { message: string; retriable: boolean }[]
}
const RETRIED_RESPONSE_ERRORS = new Set(errorCodes.filter((e) => e.retriable).map((e) => e.message))

/**
 * kafkajs logs every error response at ERROR, also the ones it retries and recovers from (a topic
 * created on first use, a coordinator still loading on a fresh broker, a leader change). Those go
 * to debug: a retry that gives up still fails the call that made it, which reports the error.
 */
function kafkajsLevel(level: logLevel, message: string, error: unknown): 'error' | 'warn' | 'info' | 'debug' {
  if (
    level === logLevel.ERROR &&
    message.startsWith('Response ') &&
    RETRIED_RESPONSE_ERRORS.has(String(error))
  )
    return 'debug'
  return LEVELS[level] ?? 'info'
}

/** A kafkajs client whose logs go through pino, so they carry the same context as ours. */
export function createKafka(config: TributaryConfig, logger: Logger): Kafka {
  const log = logger.child({ component: 'kafkajs' })
  if (!useFastRecordDecoder()) log.debug('kafkajs decodes records with its own decoder (record-decoder.ts)')
  return new Kafka({
    clientId: config.kafka.clientId,
    brokers: [...config.kafka.brokers],
    ssl: config.kafka.ssl,
    ...(config.kafka.sasl ? { sasl: config.kafka.sasl as never } : {}),
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log: entry }) => {
        const { message, ...rest } = entry
        log[kafkajsLevel(level, message, entry.error)](rest, message)
      },
  })
}
