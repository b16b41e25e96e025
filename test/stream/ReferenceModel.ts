/**
 * The batch computation the stream must agree with (ARCHITECTURE.md guarantee 5) — what `int_sessions` and the
 * per-minute SQL models compute from the lake: take the lake rows, keep the first row per event id,
 * drop late rows, sort by (event time, event id), cut sessions sequentially per user, group by minute
 * and partition. Written from the rules of ARCHITECTURE.md, independently of src/stream.
 */

import type { SessionRecord } from "../../src/domain/SessionRecord.ts"
import type { LakeRow } from "../../src/stream/Batch.ts"
import type { StreamEvent } from "../../src/stream/StreamEvent.ts"
import { compareStrings, FUNNEL_STAGES } from "./fixtures.ts"

export interface ReferenceRules {
  readonly gapMs: number
  readonly capMs: number
}

/**
 * Users per stage: each user counts at every stage up to the furthest one their events reached (the
 * events' order does not matter); stages nobody reached are absent.
 */
const funnelProgress = (events: ReadonlyArray<StreamEvent>): Record<string, number> => {
  const furthest = new Map<string, number>()
  for (const e of events) {
    const stage = FUNNEL_STAGES.findIndex(([type]) => type === e.eventType)
    if (stage >= 0) furthest.set(e.userId, Math.max(stage, furthest.get(e.userId) ?? -1))
  }
  const reached = FUNNEL_STAGES.flatMap(([, name], i) => [...furthest.values()].filter((f) => f >= i).map(() => name))
  return countBy(reached)
}

export const acceptedEvents = (rows: ReadonlyArray<LakeRow<StreamEvent>>): Array<StreamEvent> => {
  const seen = new Set<string>()
  const accepted: Array<StreamEvent> = []
  for (const row of rows) {
    if (seen.has(row.event.eventId)) continue
    seen.add(row.event.eventId)
    if (!row.isLate) accepted.push(row.event)
  }
  return accepted.sort((a, b) => a.eventTimeMs - b.eventTimeMs || compareStrings(a.eventId, b.eventId))
}

export const referenceSessions = (sorted: ReadonlyArray<StreamEvent>, rules: ReferenceRules): Array<SessionRecord> => {
  const byUser = new Map<string, Array<StreamEvent>>()
  for (const e of sorted) byUser.set(e.userId, [...(byUser.get(e.userId) ?? []), e])
  const sessions: Array<SessionRecord> = []
  for (const [userId, events] of byUser) {
    let current: Array<StreamEvent> = []
    const close = () => {
      const first = current[0]
      const last = current[current.length - 1]
      if (first === undefined || last === undefined) return
      sessions.push({
        userId,
        sessionKey: `${userId}:${first.eventTimeMs}`,
        partition: first.partition,
        startMs: first.eventTimeMs,
        endMs: last.eventTimeMs,
        eventCount: current.length,
        firstEventType: first.eventType,
        lastEventType: last.eventType,
        deviceType: first.deviceType,
        utmSource: first.utmSource,
        utmMedium: first.utmMedium,
        utmCampaign: first.utmCampaign,
        isBounce: current.length === 1,
        isConverted: current.some((e) => e.eventType === "purchase")
      })
    }
    for (const e of events) {
      const first = current[0]
      const last = current[current.length - 1]
      if (
        first !== undefined &&
        last !== undefined &&
        (e.eventTimeMs - last.eventTimeMs > rules.gapMs || e.eventTimeMs - first.eventTimeMs > rules.capMs)
      ) {
        close()
        current = []
      }
      current.push(e)
    }
    close()
  }
  return sessions
}

const countBy = (values: ReadonlyArray<string>): Record<string, number> => {
  const counts: Record<string, number> = {}
  for (const v of [...values].sort()) counts[v] = (counts[v] ?? 0) + 1
  return counts
}

/** Per (minute, partition) measures, latency excluded. */
export const referenceWindows = (sorted: ReadonlyArray<StreamEvent>, rules: ReferenceRules) => {
  const minuteOf = (t: number) => t - (((t % 60_000) + 60_000) % 60_000)
  const starts = referenceSessions(sorted, rules).map((s) => `${minuteOf(s.startMs)}:${s.partition}`)
  const groups = new Map<string, Array<StreamEvent>>()
  for (const e of sorted) {
    const key = `${minuteOf(e.eventTimeMs)}:${e.partition}`
    groups.set(key, [...(groups.get(key) ?? []), e])
  }
  return [...groups]
    .map(([key, events]) => {
      const purchases = events.filter((e) => e.eventType === "purchase")
      const revenue: Record<string, number> = {}
      for (const p of purchases) {
        const currency = p.currency ?? "XXX"
        revenue[currency] = (revenue[currency] ?? 0) + Math.round((p.revenue ?? 0) * 1000)
      }
      const first = events[0]
      return {
        minuteStartMs: minuteOf(first?.eventTimeMs ?? 0),
        partition: first?.partition ?? 0,
        events: events.length,
        eventsByType: countBy(events.map((e) => e.eventType)),
        distinctUsers: new Set(events.map((e) => e.userId)).size,
        sessionsStarted: starts.filter((s) => s === key).length,
        configuratorStarts: events.filter((e) => e.eventType === "quiz_started").length,
        configuratorCompletions: events.filter((e) => e.eventType === "quiz_completed").length,
        configuratorShares: events.filter((e) => e.eventType === "result_shared").length,
        funnelSteps: funnelProgress(events),
        purchases: purchases.length,
        revenueByCurrency: Object.fromEntries(Object.entries(revenue).sort(([a], [b]) => compareStrings(a, b)))
      }
    })
    .sort((a, b) => a.minuteStartMs - b.minuteStartMs || a.partition - b.partition)
}
