/**
 * The per-(minute, partition) measures of a window and how they merge. Every measure is a sum, so the
 * warehouse adds up the partitions of all processors (DESIGN "Windows"): distinct users and sessions
 * add up across partitions because Kafka keys events by user, so a user (and each of its sessions)
 * lives in exactly one partition.
 */
import {
  CONFIGURATOR_COMPLETED_EVENT_TYPE,
  CONFIGURATOR_STARTED_EVENT_TYPE,
  PURCHASE_EVENT_TYPE,
  type StreamEvent
} from "./StreamEvent.ts"

/**
 * Upper bounds (inclusive, ms) of the ingest-to-processing latency histogram; one more bucket
 * counts everything above the last bound. Fixed so that histograms of all processors add up.
 */
export const LATENCY_BUCKET_BOUNDS_MS: ReadonlyArray<number> = [
  100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000, 300_000, 900_000, 3_600_000
]

export const latencyBucketIndex = (latencyMs: number): number => {
  const bounds = LATENCY_BUCKET_BOUNDS_MS
  for (let i = 0; i < bounds.length; i++) {
    if (latencyMs <= (bounds[i] ?? 0)) return i
  }
  return bounds.length
}

/** A window's measures as emitted in a window update (plain data). */
export interface WindowMeasures {
  readonly events: number
  readonly eventsByType: Readonly<Record<string, number>>
  readonly distinctUsers: number
  /**
   * Sessions whose first event falls in this minute (and partition). A session's start is final once
   * W passes it (a later event cannot precede an event at or before W), so the value of a closed window
   * is exact and equals the batch recompute; on an open window it counts only the starts W has passed.
   */
  readonly sessionsStarted: number
  readonly configuratorStarts: number
  readonly configuratorCompletions: number
  readonly funnelSteps: Readonly<Record<string, number>>
  readonly purchases: number
  /**
   * Purchase revenue per ISO 4217 currency (amounts in different currencies do not add up), in integer
   * thousandths of the currency unit — `round(revenue * 1000)`, exact for 0-3 decimal currencies — so
   * that sums are exact and independent of order; "XXX" (ISO: no currency) when a purchase has none.
   */
  readonly revenueByCurrency: Readonly<Record<string, number>>
  /** Counts per `LATENCY_BUCKET_BOUNDS_MS` bucket (+1 overflow bucket); latency = processing − received. */
  readonly latencyBuckets: ReadonlyArray<number>
}

/** The mutable accumulator behind an open window; `users` is what makes the distinct count exact. */
export interface WindowAccumulator {
  readonly minuteStartMs: number
  readonly partition: number
  events: number
  readonly eventsByType: Map<string, number>
  readonly users: Set<string>
  sessionsStarted: number
  configuratorStarts: number
  configuratorCompletions: number
  readonly funnelSteps: Map<string, number>
  purchases: number
  readonly revenueByCurrency: Map<string, number>
  readonly latencyBuckets: Array<number>
}

export const emptyAccumulator = (minuteStartMs: number, partition: number): WindowAccumulator => ({
  minuteStartMs,
  partition,
  events: 0,
  eventsByType: new Map(),
  users: new Set(),
  sessionsStarted: 0,
  configuratorStarts: 0,
  configuratorCompletions: 0,
  funnelSteps: new Map(),
  purchases: 0,
  revenueByCurrency: new Map(),
  latencyBuckets: new Array<number>(LATENCY_BUCKET_BOUNDS_MS.length + 1).fill(0)
})

export const NO_CURRENCY = "XXX"

export const revenueToThousandths = (revenue: number | null): number =>
  revenue === null ? 0 : Math.round(revenue * 1000)

export const accumulateEvent = (acc: WindowAccumulator, event: StreamEvent, processingTimeMs: number): void => {
  acc.events++
  acc.eventsByType.set(event.eventType, (acc.eventsByType.get(event.eventType) ?? 0) + 1)
  acc.users.add(event.userId)
  if (event.eventType === CONFIGURATOR_STARTED_EVENT_TYPE) acc.configuratorStarts++
  else if (event.eventType === CONFIGURATOR_COMPLETED_EVENT_TYPE) acc.configuratorCompletions++
  else if (event.eventType === PURCHASE_EVENT_TYPE) {
    acc.purchases++
    const currency = event.currency ?? NO_CURRENCY
    acc.revenueByCurrency.set(
      currency,
      (acc.revenueByCurrency.get(currency) ?? 0) + revenueToThousandths(event.revenue)
    )
  }
  if (event.funnelStep !== null) acc.funnelSteps.set(event.funnelStep, (acc.funnelSteps.get(event.funnelStep) ?? 0) + 1)
  const bucket = latencyBucketIndex(processingTimeMs - event.receivedAtMs)
  acc.latencyBuckets[bucket] = (acc.latencyBuckets[bucket] ?? 0) + 1
}

/**
 * Keys sorted, so that emitted records (and checkpoints) do not depend on arrival order; built with
 * `Object.fromEntries`, which defines own properties (a key such as "__proto__" stays data).
 */
export const sortedRecord = (map: ReadonlyMap<string, number>): Record<string, number> =>
  Object.fromEntries([...map].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))

export const measuresOf = (acc: WindowAccumulator): WindowMeasures => ({
  events: acc.events,
  eventsByType: sortedRecord(acc.eventsByType),
  distinctUsers: acc.users.size,
  sessionsStarted: acc.sessionsStarted,
  configuratorStarts: acc.configuratorStarts,
  configuratorCompletions: acc.configuratorCompletions,
  funnelSteps: sortedRecord(acc.funnelSteps),
  purchases: acc.purchases,
  revenueByCurrency: sortedRecord(acc.revenueByCurrency),
  latencyBuckets: [...acc.latencyBuckets]
})

const addRecords = (
  a: Readonly<Record<string, number>>,
  b: Readonly<Record<string, number>>
): Record<string, number> => {
  const sum = new Map(Object.entries(a))
  for (const [key, n] of Object.entries(b)) sum.set(key, (sum.get(key) ?? 0) + n)
  return sortedRecord(sum)
}

/** Combines the measures of one minute from different partitions (the warehouse's merge). */
export const mergeWindowMeasures = (a: WindowMeasures, b: WindowMeasures): WindowMeasures => ({
  events: a.events + b.events,
  eventsByType: addRecords(a.eventsByType, b.eventsByType),
  distinctUsers: a.distinctUsers + b.distinctUsers,
  sessionsStarted: a.sessionsStarted + b.sessionsStarted,
  configuratorStarts: a.configuratorStarts + b.configuratorStarts,
  configuratorCompletions: a.configuratorCompletions + b.configuratorCompletions,
  funnelSteps: addRecords(a.funnelSteps, b.funnelSteps),
  purchases: a.purchases + b.purchases,
  revenueByCurrency: addRecords(a.revenueByCurrency, b.revenueByCurrency),
  latencyBuckets: a.latencyBuckets.map((n, i) => n + (b.latencyBuckets[i] ?? 0))
})
