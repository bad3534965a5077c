/**
 * The one place a table's name is derived: from the topology's entity, or a gold declaration's
 * name. `defineTopology` lists them, the DDL creates them, the sinks write them.
 */
export const tableNames = {
  bronze: (entity: string) => `bronze_${entity}`,
  silver: (entity: string) => `silver_${entity}`,
  /** A change stream's current state per key: the view users query (exact without FINAL). */
  current: (entity: string) => `silver_${entity}_current`,
  quarantine: (entity: string) => `quarantine_${entity}`,
  /** Which quarantined records a reprocess resolved (append-only, one row per record). */
  quarantineResolved: (entity: string) => `quarantine_${entity}_resolved`,
  /** The view of quarantine rows no reprocess resolved yet. */
  quarantineOpen: (entity: string) => `quarantine_${entity}_open`,
  late: (entity: string) => `late_${entity}`,
  /** The view users query. */
  gold: (gold: string) => `gold_${gold}`,
  /** One row per (group, window, input partition), merged by the view. */
  goldPartials: (gold: string) => `gold_${gold}_partials`,
} as const
