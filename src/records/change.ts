/**
 * What a change-stream record says beside its row: which operation, and the source position that
 * orders it against the other changes of the same primary key.
 */
export type ChangeOp = 'c' | 'u' | 'd' | 'r'

export interface Change {
  readonly op: ChangeOp
  /** The source position as an unsigned decimal integer (a UInt64 in ClickHouse). */
  readonly version: string
  readonly deleted: boolean
}
