import { TributaryError } from '../errors/tributary-error.ts'

/**
 * Replies that mean "not now" rather than "never": a restarting server still loading its data, a
 * replica mid-failover, a busy script, a cluster resharding, memory full until keys expire. Waiting
 * loses nothing, so they are retriable like a dropped connection.
 */
const TRANSIENT_REPLY = /^(LOADING|READONLY|BUSY|TRYAGAIN|CLUSTERDOWN|MASTERDOWN|NOREPLICAS|OOM)\b/

/**
 * Anything that is not a reply from the server (connection refused or closed, a pipeline aborted by
 * a disconnect) is the network, hence STATE_UNAVAILABLE and retriable; a reply error is Redis
 * refusing the request, retriable only when transient.
 */
export function stateError(error: unknown, what: string, causes: readonly unknown[] = []): TributaryError {
  if (error instanceof TributaryError) return error
  const replies = [error, ...causes].filter(isReplyError)
  if (!isReplyError(error) || replies.some((e) => TRANSIENT_REPLY.test(e.message))) {
    return new TributaryError('STATE_UNAVAILABLE', `Redis unavailable during ${what}: ${messageOf(error)}`, {
      retriable: true,
      cause: error,
    })
  }
  const detail = replies.map((e) => e.message).join('; ')
  return new TributaryError('STATE_REJECTED', `Redis rejected ${what}: ${detail}`, { cause: error })
}

export function isReplyError(error: unknown): error is Error {
  return error instanceof Error && error.name === 'ReplyError'
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
