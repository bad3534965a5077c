/**
 * Table and column names come from schemas and entity names, i.e. from configuration; quoting them
 * keeps keywords such as `partition` or `table` usable as column names on every engine version.
 */
import { ClickHouseError } from './errors.ts'

const PLAIN_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

export function quoteIdent(name: string): string {
  return `\`${name.replace(/\\/g, '\\\\').replace(/`/g, '\\`')}\``
}

/** `table` or `db.table`, each part a plain name; anything else is a configuration mistake. */
export function quoteTable(name: string): string {
  const parts = name.split('.')
  if (parts.length > 2 || parts.some((p) => !PLAIN_NAME.test(p))) {
    throw new ClickHouseError(
      'CLICKHOUSE_BAD_NAME',
      `table name ${JSON.stringify(name)} is not [db.]name made of letters, digits and underscores`,
      { retriable: false },
    )
  }
  return parts.map(quoteIdent).join('.')
}

export function assertPlainName(kind: string, name: string): string {
  if (!PLAIN_NAME.test(name)) {
    throw new ClickHouseError(
      'CLICKHOUSE_BAD_NAME',
      `${kind} ${JSON.stringify(name)} must be letters, digits and underscores, not starting with a digit`,
      { retriable: false },
    )
  }
  return name
}

/** A string literal for SQL text, for the few places (system table filters) that need one. */
export function quoteString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`
}
