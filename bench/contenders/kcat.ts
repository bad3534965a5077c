import type { Contender } from '../contender.ts'
import type { Variant } from '../dataset.ts'
import { MeasuredProcess } from '../measure.ts'

const END_OF_PARTITION = /Reached end of topic \S+ \[(\d+)\] at offset (\d+)/g

/**
 * The raw limit: kcat (librdkafka) reading the topic from the beginning to /dev/null and exiting
 * at the end of every partition. No decoding, no inserts: what reading the bytes alone costs.
 */
export function kcat(variant: Variant): Contender {
  return {
    id: `kcat-${variant}`,
    label: 'kcat → /dev/null (raw limit)',
    variant,
    async run(ctx) {
      const topic = ctx.dataset.topics[variant]
      ctx.servers.start()
      const started = performance.now()
      const proc = new MeasuredProcess(
        ['kcat', '-C', '-b', ctx.config.kafka.brokers.join(','), '-t', topic, '-o', 'beginning', '-e'],
        { stdout: 'ignore' },
      )
      const exit = await proc.exited
      const seconds = (performance.now() - started) / 1000
      if (exit.code !== 0) throw new Error(`kcat failed (code ${exit.code}):\n${exit.stderr.slice(-4000)}`)
      // kcat reports the offset it stopped at per partition; from offset 0 that is what it read.
      const read = [...exit.stderr.matchAll(END_OF_PARTITION)].reduce((sum, m) => sum + Number(m[2]), 0)
      return {
        seconds,
        usage: exit.usage,
        servers: ctx.servers.finish(),
        redisRoundTrips: null,
        // kcat reads to the end and exits; there is no progress to watch.
        steadyEventsPerSecond: null,
        counts: [{ table: `(kcat read ${topic})`, expected: ctx.dataset.messages, actual: read }],
      }
    },
  }
}
