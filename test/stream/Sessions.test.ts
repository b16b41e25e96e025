/** Session boundaries (ARCHITECTURE.md "Sessions") as worked examples. */
import { assert, describe, it } from "@effect/vitest"
import type { SessionRecord } from "../../src/domain/SessionRecord.ts"
import { closeAll, defaultStreamRules, processBatch } from "../../src/stream/Batch.ts"
import { emptyState, type StreamState } from "../../src/stream/State.ts"
import type { StreamEvent } from "../../src/stream/StreamEvent.ts"
import { BASE_MS, HOUR, MINUTE, makeEvent, runBatches } from "./fixtures.ts"

const rules = defaultStreamRules
const at = (minutes: number, id: string, fields: Partial<Parameters<typeof makeEvent>[0]> = {}): StreamEvent =>
  makeEvent({ eventId: id, userId: "ada", eventTimeMs: BASE_MS + minutes * MINUTE, ...fields })

const sessionsOf = (...batches: ReadonlyArray<ReadonlyArray<StreamEvent>>): Array<SessionRecord> =>
  runBatches(batches, rules).sessions.filter((s) => s.userId === "ada")

const step = (state: StreamState, events: ReadonlyArray<StreamEvent>) =>
  processBatch(state, events, { ...rules, processingTimeMs: BASE_MS + 48 * HOUR })

describe("sessions", () => {
  it("a gap of exactly 30 minutes continues the session", () => {
    const [session, ...rest] = sessionsOf([at(0, "a"), at(30, "b")])
    assert.deepStrictEqual(rest, [])
    assert.strictEqual(session?.eventCount, 2)
    assert.strictEqual(session?.endMs, BASE_MS + 30 * MINUTE)
  })

  it("a gap of 30 minutes and 1 ms starts a new session", () => {
    const late = makeEvent({ eventId: "b", userId: "ada", eventTimeMs: BASE_MS + 30 * MINUTE + 1 })
    const sessions = sessionsOf([at(0, "a"), late])
    assert.deepStrictEqual(
      sessions.map((s) => [s.sessionKey, s.eventCount]),
      [
        [`ada:${BASE_MS}`, 1],
        [`ada:${BASE_MS + 30 * MINUTE + 1}`, 1]
      ]
    )
  })

  it("the 24 h cap splits a continuously active user (a span of exactly 24 h continues)", () => {
    const events = Array.from({ length: 25 * 6 + 1 }, (_, i) => at(i * 10, `e${String(i).padStart(3, "0")}`))
    const batches = Array.from({ length: 26 }, (_, h) => events.slice(h * 6, h * 6 + 6))
    const sessions = sessionsOf(...batches)
    assert.deepStrictEqual(
      sessions.map((s) => [s.startMs - BASE_MS, s.endMs - BASE_MS, s.eventCount]),
      [
        [0, 24 * HOUR, 24 * 6 + 1],
        [24 * HOUR + 10 * MINUTE, 25 * HOUR, 6]
      ]
    )
  })

  it("an out-of-order event within the delay bridges two sessions into one", () => {
    // After the first batch W = 35 − 10 = 25 min; an event at 28 min is not late and is ≤ 30 min from both.
    assert.strictEqual(sessionsOf([at(0, "a"), at(35, "c")]).length, 2)
    const bridged = sessionsOf([at(0, "a"), at(35, "c")], [at(28, "b")])
    assert.deepStrictEqual(
      bridged.map((s) => [s.startMs - BASE_MS, s.endMs - BASE_MS, s.eventCount, s.firstEventType]),
      [[0, 35 * MINUTE, 3, "page_viewed"]]
    )
  })

  it("a late event does not take part: flagged in the lake, sessions unchanged", () => {
    // Another user's event moves W to 40 min; ada's event at 28 min is then late.
    const other = makeEvent({ eventId: "x", userId: "bob", eventTimeMs: BASE_MS + 50 * MINUTE })
    const run = runBatches([[at(0, "a"), at(35, "c"), other], [at(28, "b")]], rules)
    assert.deepStrictEqual(
      run.results[1]?.lakeRows.map((r) => [r.event.eventId, r.isLate]),
      [["b", true]]
    )
    assert.deepStrictEqual(
      run.sessions.filter((s) => s.userId === "ada").map((s) => s.eventCount),
      [1, 1]
    )
  })

  it("is emitted once W ≥ last event + gap, not before", () => {
    const bob = (eventTimeMs: number, id: string) => makeEvent({ eventId: id, userId: "bob", eventTimeMs })
    // ada's last event is at 0, so W must reach 30 min: a max event time of 40 min (delay 10 min).
    const first = step(emptyState(), [at(0, "a"), bob(BASE_MS + 40 * MINUTE - 1, "x1")])
    assert.strictEqual(first.state.watermarkMs, BASE_MS + 30 * MINUTE - 1)
    assert.deepStrictEqual(first.closedSessions, [])
    const second = step(first.state, [bob(BASE_MS + 40 * MINUTE, "x2")])
    assert.deepStrictEqual(
      second.closedSessions.map((s) => s.sessionKey),
      [`ada:${BASE_MS}`]
    )
    assert.deepStrictEqual(
      closeAll(second.state, rules).closedSessions.map((s) => [s.userId, s.eventCount]),
      [["bob", 2]]
    )
  })

  it("breaks timestamp ties by event id, whatever the arrival order", () => {
    const x = at(5, "x", { eventType: "quiz_started" })
    const y = at(5, "y", { eventType: "purchase", revenue: 10, currency: "EUR" })
    for (const order of [
      [x, y],
      [y, x]
    ]) {
      const [session] = sessionsOf(order)
      assert.strictEqual(session?.firstEventType, "quiz_started")
      assert.strictEqual(session?.lastEventType, "purchase")
    }
  })

  it("carries the first event's device and UTM, and the bounce and conversion flags", () => {
    const sessions = sessionsOf([
      at(0, "a", { deviceType: "mobile", utmSource: "newsletter" }),
      at(1, "b", { deviceType: "desktop", utmSource: "google", eventType: "purchase", revenue: 5 }),
      at(120, "c")
    ])
    assert.deepStrictEqual(
      sessions.map((s) => [s.deviceType, s.utmSource, s.utmMedium, s.isBounce, s.isConverted]),
      [
        ["mobile", "newsletter", "cpc", false, true],
        ["desktop", null, null, true, false]
      ]
    )
  })
})
