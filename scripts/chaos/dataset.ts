/**
 * The chaos run's input and its ground truth. The truth is computed here, from the events as
 * produced, with plain loops that share no code with the engine: if the engine double-counts after
 * a crash, loses a window on a rebalance or merges sessions wrongly, the two disagree.
 */
import type { Order } from '../../schemas/orders.ts'

export interface ChaosDatasetOptions {
  readonly events: number
  readonly partitions: number
  /** Share of events sent twice (same key, later): what a retrying producer does. */
  readonly duplicateRatio: number
  /** Share of events that fail the orders rules (amount -1). */
  readonly invalidRatio: number
  readonly seed: number
}

export interface ChaosMessage {
  readonly key: string
  readonly order: Order
  /** Only sentinels pin a partition; everything else is partitioned by key, like any producer. */
  readonly partition?: number
}

export interface WindowTruth {
  readonly currency: string
  readonly start: number
  readonly orders: number
  readonly revenue: number
  readonly avgAmount: number
  readonly customers: number
}

export interface SessionTruth {
  readonly customer: string
  readonly start: number
  readonly end: number
  readonly orders: number
  readonly spent: number
}

export interface ChaosDataset {
  readonly messages: readonly ChaosMessage[]
  readonly validIds: number
  readonly invalid: number
  readonly duplicates: number
  readonly windows: readonly WindowTruth[]
  readonly sessions: readonly SessionTruth[]
}

/** 2026-01-01T00:00Z: fixed, so a seed reproduces a run exactly. */
const T0 = Date.UTC(2026, 0, 1)
const STEP_MS = 40
/** Out-of-order by up to ±20 s: within the orders topology's 1-minute bound, so nothing is late. */
const JITTER_MS = 40_000
const WINDOW_MS = 60_000
const SESSION_GAP_MS = 5 * 60_000
const CURRENCIES = ['EUR', 'USD', 'BRL'] as const

/** mulberry32: small, fast and the same on every machine. */
export function random(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export function chaosDataset(opts: ChaosDatasetOptions): ChaosDataset {
  const rand = random(opts.seed)
  const messages: ChaosMessage[] = []
  const later = new Map<number, ChaosMessage[]>()
  const valid: Order[] = []
  let invalid = 0
  let duplicates = 0
  let maxTime = T0
  for (let i = 0; i < opts.events; i++) {
    // Customers come in bursts (blocks of 2,000 events, 80 s), so sessions start and end.
    const block = Math.floor(i / 2000)
    const order: Order = {
      order_id: `ord-${i}`,
      customer_id: `cust-${(block * 7 + (i % 60)) % 400}`,
      amount: Math.round(rand() * 100_000) / 100 + 1,
      currency: CURRENCIES[Math.floor(rand() * 3)]!,
      status: 'PAID',
      event_time: T0 + i * STEP_MS + Math.round((rand() - 0.5) * JITTER_MS),
      coupon: null,
    }
    maxTime = Math.max(maxTime, order.event_time)
    const isInvalid = rand() < opts.invalidRatio
    const message = { key: order.customer_id, order: isInvalid ? { ...order, amount: -1 } : order }
    messages.push(message, ...(later.get(i) ?? []))
    later.delete(i)
    if (isInvalid) invalid++
    else {
      valid.push(order)
      if (rand() < opts.duplicateRatio) {
        // Sent again a few batches later, so dedup has to remember it across checkpoints.
        const at = i + 50 + Math.floor(rand() * 500)
        const queued = later.get(at)
        if (queued) queued.push(message)
        else later.set(at, [message])
        duplicates++
      }
    }
  }
  for (const rest of later.values()) messages.push(...rest)
  // One far-future order per partition moves every partition's watermark past all windows above,
  // so each of them closes; the sentinels' own windows stay open and are not part of the truth.
  for (let p = 0; p < opts.partitions; p++) {
    const sentinel: Order = {
      order_id: `ord-sentinel-${p}`,
      customer_id: `sentinel-${p}`,
      amount: 1,
      currency: 'EUR',
      status: 'PAID',
      event_time: maxTime + 60 * 60_000,
      coupon: null,
    }
    messages.push({ key: sentinel.customer_id, order: sentinel, partition: p })
  }
  return {
    messages,
    validIds: valid.length + opts.partitions,
    invalid,
    duplicates,
    windows: windowTruth(valid),
    sessions: sessionTruth(valid),
  }
}

function windowTruth(orders: readonly Order[]): WindowTruth[] {
  const groups = new Map<string, Order[]>()
  for (const o of orders) {
    const start = o.event_time - (o.event_time % WINDOW_MS)
    const id = `${o.currency}|${start}`
    const group = groups.get(id)
    if (group) group.push(o)
    else groups.set(id, [o])
  }
  return [...groups].map(([id, os]) => {
    const [currency, start] = id.split('|') as [string, string]
    const revenue = os.reduce((a, o) => a + o.amount, 0)
    return {
      currency,
      start: Number(start),
      orders: os.length,
      revenue,
      avgAmount: revenue / os.length,
      customers: new Set(os.map((o) => o.customer_id)).size,
    }
  })
}

/** A customer's orders less than the gap apart form one session, `[first, last + gap)`. */
function sessionTruth(orders: readonly Order[]): SessionTruth[] {
  const byCustomer = new Map<string, Order[]>()
  for (const o of orders) {
    const mine = byCustomer.get(o.customer_id)
    if (mine) mine.push(o)
    else byCustomer.set(o.customer_id, [o])
  }
  const sessions: SessionTruth[] = []
  for (const [customer, os] of byCustomer) {
    os.sort((a, b) => a.event_time - b.event_time)
    let current: Order[] = []
    const close = () => {
      const first = current[0]!.event_time
      const last = current.at(-1)!.event_time
      const spent = current.reduce((a, o) => a + o.amount, 0)
      sessions.push({ customer, start: first, end: last + SESSION_GAP_MS, orders: current.length, spent })
    }
    for (const o of os) {
      if (current.length > 0 && o.event_time >= current.at(-1)!.event_time + SESSION_GAP_MS) {
        close()
        current = []
      }
      current.push(o)
    }
    close()
  }
  return sessions
}
