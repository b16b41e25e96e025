/**
 * The live panel's state: the newest minutes by their start, each replaced in place when the feed
 * sends it again (an open minute changes until the watermark closes it; then it is final).
 */
import type { KpiMinute } from "../../../models/api/Kpis.ts"

/** Minutes shown. */
export const LIVE_MINUTES = 30

/**
 * `minutes` with `update` in place of its minute (unless what is there was applied later: the feed and
 * the initial range can cross), keeping the newest `keep`, oldest first.
 */
export const withMinute = (
  minutes: ReadonlyArray<KpiMinute>,
  update: KpiMinute,
  keep = LIVE_MINUTES
): Array<KpiMinute> => {
  const byMinute = new Map(minutes.map((m) => [m.minute, m]))
  const present = byMinute.get(update.minute)
  if (present === undefined || present.updated_at <= update.updated_at) byMinute.set(update.minute, update)
  return [...byMinute.values()].sort((a, b) => (a.minute < b.minute ? -1 : a.minute > b.minute ? 1 : 0)).slice(-keep)
}

/** The newest minute that has events, for the headline figures. */
export const newest = (minutes: ReadonlyArray<KpiMinute>): KpiMinute | undefined => minutes[minutes.length - 1]

const MINUTE_MS = 60_000

export interface WindowMinute {
  /** The minute's start, ISO 8601. */
  readonly minute: string
  /** Its row, or undefined: no events in the minute. */
  readonly row: KpiMinute | undefined
}

/** The `LIVE_MINUTES` minutes up to the one holding `nowMs`, oldest first, each with its row if any. */
export const liveWindow = (minutes: ReadonlyArray<KpiMinute>, nowMs: number): Array<WindowMinute> => {
  const byMinute = new Map(minutes.map((m) => [Date.parse(m.minute), m]))
  const end = Math.floor(nowMs / MINUTE_MS) * MINUTE_MS
  return Array.from({ length: LIVE_MINUTES }, (_, i) => {
    const start = end - (LIVE_MINUTES - 1 - i) * MINUTE_MS
    return { minute: new Date(start).toISOString(), row: byMinute.get(start) }
  })
}

/** The newest minute with a latency reading. */
export const newestWithLatency = (minutes: ReadonlyArray<KpiMinute>): KpiMinute | undefined =>
  [...minutes].reverse().find((m) => m.latency.p50_ms !== null)
