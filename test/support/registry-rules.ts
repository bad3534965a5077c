/**
 * Apicurio's own API for a subject's compatibility rule. Through the Confluent-compatible API,
 * `PUT /config/<subject>` with NONE deletes the subject's rule on Apicurio 3.0.9, so the global
 * BACKWARD applies again and an incompatible version is still refused; the native rule with
 * config NONE is what lets a test register one.
 */
export async function setSubjectCompatibility(
  registryUrl: string,
  subject: string,
  level: string,
): Promise<void> {
  const base = registryUrl.replace(/\/apis\/ccompat\/v7\/?$/, '')
  const rule = `${base}/apis/registry/v3/groups/default/artifacts/${encodeURIComponent(subject)}/rules`
  const body = JSON.stringify({ ruleType: 'COMPATIBILITY', config: level })
  const headers = { 'content-type': 'application/json' }
  let res = await fetch(`${rule}/COMPATIBILITY`, { method: 'PUT', headers, body })
  if (res.status === 404) res = await fetch(rule, { method: 'POST', headers, body })
  if (!res.ok)
    throw new Error(`setting ${subject} compatibility to ${level}: HTTP ${res.status} ${await res.text()}`)
}

/** Registers over plain HTTP: the kafkajs client refuses to register under a subject whose rule is not BACKWARD. */
export async function registerRaw(registryUrl: string, subject: string, schema: object): Promise<number> {
  const res = await fetch(`${registryUrl}/subjects/${encodeURIComponent(subject)}/versions`, {
    method: 'POST',
    headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
    body: JSON.stringify({ schema: JSON.stringify(schema) }),
  })
  if (!res.ok) throw new Error(`registering ${subject}: HTTP ${res.status} ${await res.text()}`)
  return ((await res.json()) as { id: number }).id
}
