import type { ClickHouse } from '../src/clickhouse/client.ts'
import { quoteTable } from '../src/clickhouse/identifiers.ts'
import { goldViewName } from '../src/sinks/clickhouse/gold.ts'
import type { AnyTopology } from '../src/topology/define.ts'
import { watermarkMs } from '../src/windows/gold.ts'
import { type Dataset, distinctEvents } from './dataset.ts'
import type { BenchEvent } from './event.ts'
import type { CountCheck } from './tables.ts'

/**
 * Margin under the newest event time: every partition's own newest event time is within it (events
 * are 3 ms apart, spread over all partitions), so a window ending below the cutoff has closed in
 * every partition and its rows are final.
 */
const MARGIN_MS = 5_000

/**
 * Rows each tumbling gold view must hold once the dataset went through, over the windows that
 * closed everywhere: one row per window and group among the distinct events, computed here from
 * the regenerated events and the topology's own groupBy functions. Windows still open at the end
 * of the dataset are left out (nothing has emitted them yet).
 */
export async function goldCounts(
  ch: ClickHouse,
  topology: AnyTopology,
  dataset: Dataset,
): Promise<CountCheck[]> {
  const def = topology.definition
  const golds = (def.gold ?? []).flatMap((g) =>
    g.window.kind === 'tumbling' ? [{ g, window: g.window }] : [],
  )
  if (golds.length === 0) return []
  const events = [...distinctEvents(dataset)]
  const newest = events.reduce((max, e) => Math.max(max, e.event_time), -Infinity)
  const features = await ch.features()
  const checks: CountCheck[] = []
  for (const { g, window } of golds) {
    const { size, grace } = window
    const cutoff = newest - watermarkMs(topology.name, def.watermark).outOfOrderness - grace - MARGIN_MS
    const keys = Object.values(g.groupBy) as ((e: BenchEvent) => string)[]
    const expected = new Set<string>()
    for (const e of events) {
      const start = e.event_time - (e.event_time % size)
      if (start + size <= cutoff) expected.add(JSON.stringify([start, ...keys.map((k) => k(e))]))
    }
    const bound = features.dateTime64 ? `fromUnixTimestamp64Milli(toInt64(${cutoff}))` : String(cutoff)
    const [row] = await ch.query<{ n: string }>(
      `SELECT count() AS n FROM ${quoteTable(goldViewName(g))} WHERE window_end <= ${bound}`,
    )
    checks.push({
      table: `${goldViewName(g)} (closed windows)`,
      expected: expected.size,
      actual: Number(row?.n ?? 0),
    })
  }
  return checks
}
