/**
 * Samples what a process allocates, dead or alive, for its first `ALLOC_SAMPLE_MS` milliseconds
 * (default 6000), with V8's sampling heap profiler (one sample per ~16 KiB allocated), and writes
 * `<ALLOC_SAMPLE_DIR>/<pid>.heapprofile` (default: the working directory). Preloaded into every
 * process a bench run starts, it shows what a contender allocates per event; summarise with
 * `node bench/alloc-summary.ts <file>`. The second round of issue 18 found its garbage with it
 * (README, Benchmarks).
 *
 *   NODE_OPTIONS="--import ./bench/alloc-sample.ts" node bench/run.ts --only tributary-full-redis-avro --latency-seconds 1
 */
import { writeFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'
import path from 'node:path'

const session = new Session()
session.connect()
await session.post('HeapProfiler.enable')
await session.post('HeapProfiler.startSampling', {
  samplingInterval: 16_384,
  includeObjectsCollectedByMajorGC: true,
  includeObjectsCollectedByMinorGC: true,
})
setTimeout(
  async () => {
    const { profile } = await session.post('HeapProfiler.stopSampling')
    const dir = process.env.ALLOC_SAMPLE_DIR ?? process.cwd()
    writeFileSync(path.join(dir, `${process.pid}.heapprofile`), JSON.stringify(profile))
  },
  Number(process.env.ALLOC_SAMPLE_MS ?? 6000),
).unref()
