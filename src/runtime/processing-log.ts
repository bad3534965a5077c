import type { ClickHouse } from '../clickhouse/client.ts'
import type { Layer } from '../observability/labels.ts'
import { partitionKey } from '../records/partition.ts'
import type { Inserter } from '../sinks/clickhouse/inserter.ts'
import type { TableFlushResult } from '../sinks/table-sink.ts'

const TABLE = 'tributary_processing_log'

/**
 * `tributary_processing_log`: one row per (epoch, table, input partition) that landed, with the
 * offsets it covered and how many records went in, out and to quarantine; one row per failed epoch.
 */
export class ProcessingLog {
  private readonly topology: string
  private readonly layers: ReadonlyMap<string, Layer>
  private readonly inserter: Inserter
  private readonly clickhouse: ClickHouse

  constructor(opts: {
    topology: string
    layers: ReadonlyMap<string, Layer>
    inserter: Inserter
    clickhouse: ClickHouse
  }) {
    this.topology = opts.topology
    this.layers = opts.layers
    this.inserter = opts.inserter
    this.clickhouse = opts.clickhouse
  }

  /** The flushed results that are tables of this topology, with their layer. */
  tables(flushed: readonly TableFlushResult[]): { flush: TableFlushResult; layer: Layer }[] {
    return flushed.flatMap((flush) => {
      const layer = flush.table ? this.layers.get(flush.table) : undefined
      return layer ? [{ flush, layer }] : []
    })
  }

  async landed(
    flushed: readonly TableFlushResult[],
    consumed: ReadonlyMap<string, number>,
    started: number,
  ): Promise<void> {
    const finished = Date.now()
    const tables = this.tables(flushed)
    const invalid = new Map<string, number>()
    for (const { flush, layer } of tables) {
      if (layer !== 'quarantine') continue
      for (const p of flush.partitions) invalid.set(partitionKey(p.topic, p.partition), p.count)
    }
    const lines: string[] = []
    for (const { flush, layer } of tables) {
      for (const p of flush.partitions) {
        const k = partitionKey(p.topic, p.partition)
        lines.push(
          JSON.stringify({
            topology: this.topology,
            layer,
            table: flush.table,
            status: 'ok',
            started_at: started,
            finished_at: finished,
            duration_ms: flush.durationMs,
            records_in: consumed.get(k) ?? 0,
            records_out: p.count,
            records_invalid: invalid.get(k) ?? 0,
            topic: p.topic,
            partition: p.partition,
            offset_from: p.from,
            offset_to: p.to,
            error: '',
          }),
        )
      }
    }
    if (lines.length > 0) await this.inserter.insertRaw(TABLE, lines.join('\n'), lines.length)
  }

  async failed(err: unknown, started: number, records: number): Promise<void> {
    const now = Date.now()
    await this.clickhouse.insert(TABLE, [
      {
        topology: this.topology,
        layer: 'all',
        table: '',
        status: 'error',
        started_at: started,
        finished_at: now,
        duration_ms: now - started,
        records_in: records,
        records_out: 0,
        records_invalid: 0,
        topic: '',
        partition: -1,
        offset_from: -1,
        offset_to: -1,
        error: String((err as Error)?.message ?? err).slice(0, 2000),
      },
    ])
  }
}
