/**
 * State is bounded by the watermark horizon, not by history: after 48 simulated hours of a steady
 * stream, dedup entries, session state and open windows stay within what the event rate and the
 * delay, gap and visit length allow — including for a user who is active without a break.
 */
import { assert, describe, it } from "@effect/vitest"
import { defaultStreamRules, processBatch } from "../../src/stream/Batch.ts"
import { emptyState, stateSizes } from "../../src/stream/State.ts"
import type { StreamEvent } from "../../src/stream/StreamEvent.ts"
import { BASE_MS, HOUR, MINUTE, makeEvent } from "./fixtures.ts"

/** mulberry32: a tiny deterministic PRNG, so the stream is the same on every run. */
const prng = (seed: number) => {
  let a = seed
  return (): number => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const SPAN_MS = 48 * HOUR
const USERS = 3_000
const PARTITIONS = 3
const MAX_VISIT_EVENTS = 20
const MAX_STEP_MS = 3 * MINUTE
const MAX_ARRIVAL_LAG_MS = 2 * MINUTE
const BOT_STEP_MS = 20_000
const BATCH = 200

/** Visits of 1–20 events 5 s–3 min apart by random users, a bot every 20 s, 1 % resent copies. */
const steadyStream = (totalEvents: number) => {
  const random = prng(42)
  const arriving: Array<{ readonly at: number; readonly event: StreamEvent }> = []
  let n = 0
  const add = (userId: string, partition: number, eventTimeMs: number) => {
    const event = makeEvent({ eventId: `e${n}`, userId, eventTimeMs, partition, offset: n })
    n++
    arriving.push({ at: eventTimeMs + random() * MAX_ARRIVAL_LAG_MS, event })
    if (random() < 0.01) arriving.push({ at: eventTimeMs + random() * MAX_ARRIVAL_LAG_MS, event })
  }
  for (let t = 0; t < SPAN_MS; t += BOT_STEP_MS) add("bot", 0, BASE_MS + t)
  let visits = 0
  while (n < totalEvents) {
    const user = Math.floor(random() * USERS)
    let t = BASE_MS + random() * (SPAN_MS - MAX_VISIT_EVENTS * MAX_STEP_MS)
    const k = 1 + Math.floor(random() * MAX_VISIT_EVENTS)
    for (let i = 0; i < k && n < totalEvents; i++) {
      add(`u${user}`, user % PARTITIONS, Math.floor(t))
      t += 5_000 + random() * (MAX_STEP_MS - 5_000)
    }
    visits++
  }
  arriving.sort((a, b) => a.at - b.at)
  return { arrival: arriving.map((a) => a.event), visits }
}

describe("state size", () => {
  it("stays bounded by the horizon over 100k events and 48 simulated hours", () => {
    const rules = defaultStreamRules
    const { arrival, visits } = steadyStream(100_000)
    const eventsPerMs = arrival.length / SPAN_MS
    const visitsPerMs = visits / SPAN_MS
    const batchSpanMs = BATCH / eventsPerMs
    const maxVisitMs = MAX_VISIT_EVENTS * MAX_STEP_MS
    // Dedup keeps ids with first time > W − delay, and W trails the newest event by the delay.
    const dedupBound = 1.5 * eventsPerMs * (2 * rules.delayMs + MAX_ARRIVAL_LAG_MS + batchSpanMs)
    // A user holds state while a visit runs, then for gap + delay after its last event.
    const userBound = 1.5 * visitsPerMs * (maxVisitMs + rules.gapMs + 2 * rules.delayMs + batchSpanMs) + 1
    // Raw events are kept only while newer than W.
    const pendingBound = 1.5 * eventsPerMs * (rules.delayMs + MAX_ARRIVAL_LAG_MS + batchSpanMs)
    const windowBound = PARTITIONS * ((rules.delayMs + MAX_ARRIVAL_LAG_MS + batchSpanMs) / MINUTE + 2)
    let state = emptyState()
    let largest = { dedupEntries: 0, sessionUsers: 0, pendingSessionEvents: 0, foldedSessions: 0, openWindows: 0 }
    for (let i = 0; i < arrival.length; i += BATCH) {
      const result = processBatch(state, arrival.slice(i, i + BATCH), { ...rules, processingTimeMs: BASE_MS })
      state = result.state
      const sizes = stateSizes(state)
      largest = {
        dedupEntries: Math.max(largest.dedupEntries, sizes.dedupEntries),
        sessionUsers: Math.max(largest.sessionUsers, sizes.sessionUsers),
        pendingSessionEvents: Math.max(largest.pendingSessionEvents, sizes.pendingSessionEvents),
        foldedSessions: Math.max(largest.foldedSessions, sizes.foldedSessions),
        openWindows: Math.max(largest.openWindows, sizes.openWindows)
      }
      const bot = state.sessions.users.get("bot")
      // Active for 48 h without a break: one or two sessions (the cap splits it), events only > W.
      assert.isAtMost(bot?.folded.length ?? 0, 2)
      assert.isAtMost(bot?.pending.length ?? 0, (rules.delayMs + MAX_ARRIVAL_LAG_MS + batchSpanMs) / BOT_STEP_MS + 1)
    }
    assert.isAtMost(largest.dedupEntries, dedupBound, "dedup entries")
    assert.isAtMost(largest.sessionUsers, userBound, "users with session state")
    assert.isAtMost(largest.foldedSessions, 3 * userBound, "folded sessions")
    assert.isAtMost(largest.pendingSessionEvents, pendingBound, "pending session events")
    assert.isAtMost(largest.openWindows, windowBound, "open windows")
    assert.isAbove(largest.dedupEntries, 0)
  })
})
