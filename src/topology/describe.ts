import type { Topology } from './define.ts'

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
  const decode = node(
    'decode',
    `decode (${def.source.format.kind} ${def.source.format.schema.name})`,
    'operator',
  )
  for (const topic of def.source.topics) {
    const id = node(`topic_${topic}`, `topic ${topic}`, 'topic')
    g.edges.push({ from: id, to: decode })
    if (t.tables.bronze) {
      if (!g.nodes.some((n) => n.id === 'bronze')) node('bronze', t.tables.bronze, 'table')
      g.edges.push({ from: id, to: 'bronze', label: 'raw' })
    }
  }
  const ruleNames = [
    ...Object.entries(def.rules?.fields ?? {}).flatMap(([f, rs]) =>
      ((rs ?? []) as readonly { name: string }[]).map((r) => `${f}.${r.name}`),
    ),
    ...(def.rules?.checks ?? []).map((r) => r.name),
  ]
  const validate = node(
    'validate',
    `validate (${def.source.format.kind === 'json' ? 'schema + ' : ''}${ruleNames.length} rules)`,
    'operator',
  )
  g.edges.push({ from: decode, to: validate })
  const quarantine = node('quarantine', `${t.tables.quarantine} + topic ${t.deadLetterTopic}`, 'table')
  g.edges.push({ from: decode, to: quarantine, label: 'undecodable' })
  g.edges.push({ from: validate, to: quarantine, label: 'invalid' })
  let last = validate
  if (def.dedup) {
    const id = node('dedup', `dedup ${def.dedup.name} (retention ${def.dedup.retention})`, 'operator')
    g.edges.push({ from: last, to: id })
    last = id
  }
  for (const [i, step] of (def.transform ?? []).entries()) {
    const id = node(`transform_${i}`, step.name, 'operator')
    g.edges.push({ from: last, to: id })
    last = id
  }
  if (t.tables.silver) {
    node('silver', t.tables.silver, 'table')
    g.edges.push({ from: last, to: 'silver', label: 'valid' })
  }
  for (const gold of def.gold ?? []) {
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
      to: node(`gold_${gold.name}`, `gold_${gold.name}`, 'table'),
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
