import { isRowDataRefusal, refusalText } from '../clickhouse/errors.ts'
import { partitionKey, type TopicPartition } from '../records/partition.ts'
import type { KafkaRecord } from '../records/record.ts'
import type { Rejection } from '../records/rejection.ts'
import type { Block, Sink } from './sink.ts'

/** A row the server refused for its data, and why, in words a data engineer reads. */
export interface RefusedRow {
  readonly index: number
  readonly reason: string
}

/**
 * Inserts newline-terminated rows (JSONEachRow and TabSeparated both escape newlines inside values,
 * so a newline byte only ever ends a row). When the server refuses the block for some row's data,
 * the block is halved until the refused rows are alone: they are returned, everything else lands.
 * That costs about 2·log2(n) inserts per refused row, and only when something was refused. A
 * refusal that blames no row (unknown table, a retriable error left over) is thrown as before.
 */
export async function insertFindingRefused(
  rows: readonly Buffer[],
  /** `from`: the index of the part's first row in the block, so each part can be named. */
  insert: (body: readonly Buffer[], rows: number, from: number) => Promise<void>,
): Promise<RefusedRow[]> {
  const refused: RefusedRow[] = []
  const land = async (from: number, to: number): Promise<void> => {
    try {
      await insert(rows.slice(from, to), to - from, from)
    } catch (err) {
      if (!isRowDataRefusal(err)) throw err
      if (to - from === 1) {
        refused.push({ index: from, reason: `ClickHouse refused this row: ${refusalText(err)}` })
        return
      }
      const mid = from + Math.ceil((to - from) / 2)
      await land(from, mid)
      await land(mid, to)
    }
  }
  if (rows.length > 0) await land(0, rows.length)
  return refused
}

/** The rows of a newline-terminated body. */
export function splitRows(chunks: readonly Uint8Array[]): Buffer[] {
  const all = Buffer.concat(chunks)
  const rows: Buffer[] = []
  let start = 0
  for (let i = all.indexOf(10); i !== -1; i = all.indexOf(10, start)) {
    rows.push(all.subarray(start, i + 1))
    start = i + 1
  }
  if (start < all.length) rows.push(all.subarray(start))
  return rows
}

/**
 * Refused silver rows to quarantine and the DLQ, durably, before the silver flush returns: the
 * epoch then commits their offsets knowing each record is in silver or in quarantine.
 */
export function quarantineRefused(opts: {
  readonly topology: string
  /** Its own quarantine and DLQ sinks, not the pipeline's (whose contents belong to the epoch). */
  readonly rejects: Sink<Rejection>
  readonly counted: (n: number) => void
}): (
  tp: TopicPartition,
  block: Block,
  rows: readonly { record: KafkaRecord; reason: string }[],
) => Promise<void> {
  return async (tp, block, rows) => {
    for (const r of rows)
      opts.rejects.add({
        source: r.record,
        topology: opts.topology,
        stage: 'load',
        code: 'INSERT_REFUSED',
        reason: r.reason,
        rules: [],
      })
    // The refused rows of one input partition's block: named after that block, so a replay is dropped.
    await opts.rejects.flush(new Map([[partitionKey(tp.topic, tp.partition), block]]))
    opts.counted(rows.length)
  }
}
