import { type ClickHouseClient, createClient } from '@clickhouse/client'

/**
 * The half of a hand-written baseline that does not depend on the Kafka client: JSON.parse each
 * value, keep where it came from (partition, offset: the lineage a user keeps to find replays),
 * and insert the batch as JSONEachRow with the official client.
 */
export class JsonTableWriter {
  readonly #client: ClickHouseClient
  readonly #table: string

  constructor(url: string, table: string) {
    this.#client = createClient({ url })
    this.#table = table
  }

  static row(value: Buffer, partition: number, offset: number): Record<string, unknown> {
    const row = JSON.parse(value.toString('utf8')) as Record<string, unknown>
    row._partition = partition
    row._offset = offset
    return row
  }

  async insert(rows: readonly Record<string, unknown>[]): Promise<void> {
    if (rows.length > 0)
      await this.#client.insert({ table: this.#table, values: rows, format: 'JSONEachRow' })
  }

  async close(): Promise<void> {
    await this.#client.close()
  }
}
