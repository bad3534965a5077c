import type { Topology } from './define.ts'
import { planOf } from './plan.ts'
import { tableNames } from './table-names.ts'

interface Graph {
  nodes: { id: string; label: string; kind: 'topic' | 'operator' | 'table' }[]
  edges: { from: string; to: string; label?: string }[]
}

/** The pipeline as a graph, derived from the topology value: source topics to operators to tables. */
export function topologyGraph(t: Topology): Graph {
  const def = t.definition
  const g: Graph = { nodes: [], edges: [] }
  const node = (id: string, label: string, kind: Graph['nodes'][number]['kind']) => {
    g.nodes.push({ id, label, kind })
    return id
  }
  const plan = planOf(t)
  const topics = def.source.topics.map((topic) => node(`topic_${topic}`, `topic ${topic}`, 'topic'))
  if (t.tables.bronze) {
    node('bronze', t.tables.bronze, 'table')
    for (const id of topics) g.edges.push({ from: id, to: 'bronze', label: 'raw' })
  }
  let last: string | undefined
  const quarantine = `${t.tables.quarantine} + topic ${t.deadLetterTopic}`
  for (const [i, step] of plan.steps.entries()) {
    const id =
      step.kind === 'decode'
        ? node('decode', `decode (${def.source.format.kind} ${def.source.format.schema.name})`, 'operator')
        : step.kind === 'validate'
          ? node(
              'validate',
              `validate (${def.source.format.kind === 'json' ? 'schema + ' : ''}${step.rules.length} rules)`,
              'operator',
            )
          : step.kind === 'changes'
            ? node(
                'changes',
                `debezium changes (key ${step.stream.key.join(', ')}, version ${step.stream.versionLabel})`,
                'operator',
              )
            : step.kind === 'dedup'
              ? node('dedup', `dedup ${step.dedup.name} (retention ${step.dedup.retention})`, 'operator')
              : node(`transform_${i}`, step.step.name, 'operator')
    if (last === undefined) for (const topic of topics) g.edges.push({ from: topic, to: id })
    else g.edges.push({ from: last, to: id })
    if (step.kind === 'decode' || step.kind === 'validate' || step.kind === 'changes') {
      if (!g.nodes.some((n) => n.id === 'quarantine')) node('quarantine', quarantine, 'table')
      g.edges.push({
        from: id,
        to: 'quarantine',
        label: step.kind === 'validate' ? 'invalid' : 'undecodable',
      })
    }
    if (step.kind === 'changes' && t.tables.silver) {
      node('silver', t.tables.silver, 'table')
      g.edges.push({ from: id, to: 'silver', label: 'deletes' })
    }
    last = id
  }
  if (last === undefined) {
    if (t.tables.silver) node('silver', t.tables.silver, 'table')
    return g
  }
  if (t.tables.silver) {
    if (!g.nodes.some((n) => n.id === 'silver')) node('silver', t.tables.silver, 'table')
    g.edges.push({ from: last, to: 'silver', label: 'valid' })
  }
  for (const gold of plan.gold) {
    const w = gold.window
    const size =
      w.kind === 'session'
        ? `gap ${w.gap}ms`
        : w.kind === 'hopping'
          ? `${w.size}ms every ${w.hop}ms`
          : `${w.size}ms`
    const id = node(
      `window_${gold.name}`,
      `window ${gold.name} (${w.kind} ${size}, by ${Object.keys(gold.groupBy).join(', ')})`,
      'operator',
    )
    g.edges.push({ from: last, to: id })
    g.edges.push({
      from: id,
      to: node(`gold_${gold.name}`, tableNames.gold(gold.name), 'table'),
      label: Object.keys(gold.aggregate).join(', '),
    })
    if (t.tables.late) {
      if (!g.nodes.some((n) => n.id === 'late')) node('late', t.tables.late, 'table')
      g.edges.push({ from: id, to: 'late', label: 'late' })
    }
  }
  return g
}

export function describeText(t: Topology): string {
  const g = topologyGraph(t)
  const label = (id: string) => g.nodes.find((n) => n.id === id)?.label ?? id
  const lines = [`topology ${t.name}${t.definition.description ? `: ${t.definition.description}` : ''}`]
  for (const e of g.edges)
    lines.push(`  ${label(e.from)} --${e.label ? `[${e.label}]` : ''}--> ${label(e.to)}`)
  return lines.join('\n')
}

export function describeMermaid(t: Topology): string {
  const g = topologyGraph(t)
  const shape = (n: Graph['nodes'][number]) =>
    n.kind === 'topic'
      ? `${n.id}[/"${n.label}"/]`
      : n.kind === 'table'
        ? `${n.id}[("${n.label}")]`
        : `${n.id}["${n.label}"]`
  return [
    'flowchart LR',
    ...g.nodes.map((n) => `  ${shape(n)}`),
    ...g.edges.map((e) => `  ${e.from} -->${e.label ? `|${e.label}|` : ''} ${e.to}`),
  ].join('\n')
}
