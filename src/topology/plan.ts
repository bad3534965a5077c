import type { ChangeStream } from '../cdc/debezium.ts'
import type { GoldDeclaration } from '../windows/gold.ts'
import { type AnyTopology, decodes, type NamedOperator, type TopologyLogic } from './define.ts'

/** One operator a decoded record passes, in order. */
export type PlanStep<T> =
  | { readonly kind: 'decode' }
  | { readonly kind: 'changes'; readonly stream: ChangeStream }
  | { readonly kind: 'validate'; readonly rules: readonly string[] }
  | { readonly kind: 'dedup'; readonly dedup: NonNullable<TopologyLogic<T>['dedup']> }
  | { readonly kind: 'transform'; readonly step: NamedOperator<T> }

/**
 * The order a topology's records go through, read once from its declaration: the pipeline is
 * built from it and `describe` draws it, so what is described is what runs. Every record goes
 * to bronze first; decoded ones pass `steps`, then land in silver and feed each gold. A change
 * stream's deletes leave at `changes` straight for silver (they carry only a key).
 */
export interface Plan<T> {
  readonly steps: readonly PlanStep<T>[]
  readonly gold: readonly GoldDeclaration<T>[]
}

// biome-ignore lint/suspicious/noExplicitAny: the plan of any topology, whatever its record type
export function planOf(topology: AnyTopology): Plan<any> {
  const def = topology.definition
  if (!decodes(topology)) return { steps: [], gold: [] }
  const rules = [
    ...Object.entries(def.rules?.fields ?? {}).flatMap(([field, rs]) =>
      ((rs ?? []) as readonly { name: string }[]).map((r) => `${field}.${r.name}`),
    ),
    ...(def.rules?.checks ?? []).map((r: { name: string }) => r.name),
  ]
  return {
    steps: [
      { kind: 'decode' },
      ...(def.source.changes ? [{ kind: 'changes' as const, stream: def.source.changes }] : []),
      { kind: 'validate', rules },
      ...(def.dedup ? [{ kind: 'dedup' as const, dedup: def.dedup }] : []),
      ...(def.transform ?? []).map((step) => ({ kind: 'transform' as const, step })),
    ],
    gold: def.gold ?? [],
  }
}
