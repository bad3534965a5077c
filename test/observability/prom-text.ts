/**
 * Reads one sample out of Prometheus text exposition, so tests assert on values and not just on a
 * name appearing somewhere. Label order follows the instrument's labelNames, as prom-client prints it.
 */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const body = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(',')
  const prefix = body === '' ? `${name} ` : `${name}{${body}} `
  const line = text.split('\n').find((l) => l.startsWith(prefix))
  return line === undefined ? undefined : Number(line.slice(prefix.length))
}
