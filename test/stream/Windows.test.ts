/** One-minute windows and their measures (ARCHITECTURE.md "Windows") as worked examples. */
import { assert, describe, it } from "@effect/vitest"
import { bucketIndex, LATENCY_BUCKET_BOUNDS_MS } from "../../src/domain/KpiMeasures.ts"
import { defaultStreamRules, processBatch } from "../../src/stream/Batch.ts"

const latencyBucketIndex = (ms: number) => bucketIndex(LATENCY_BUCKET_BOUNDS_MS, ms)

import { emptyState, type StreamState } from "../../src/stream/State.ts"
import type { StreamEvent } from "../../src/stream/StreamEvent.ts"
import { BASE_MS, MINUTE, makeEvent } from "./fixtures.ts"

const rules = defaultStreamRules
const PROCESSING_MS = BASE_MS + 60 * MINUTE

const step = (state: StreamState, events: ReadonlyArray<StreamEvent>) =>
  processBatch(state, events, { ...rules, processingTimeMs: PROCESSING_MS })

const ev = (id: string, eventTimeMs: number, fields: Partial<Parameters<typeof makeEvent>[0]> = {}) =>
  makeEvent({ eventId: id, userId: "ada", eventTimeMs, ...fields })

describe("windows", () => {
  it("update live, close once when W reaches the window end, then leave the state", () => {
    const first = step(emptyState(), [ev("a", BASE_MS + 5), ev("b", BASE_MS + 59_999, { userId: "bob" })])
    assert.deepStrictEqual(
      first.windowUpdates.map((u) => [
        u.minuteStartMs - BASE_MS,
        u.closed,
        u.measures.events,
        u.measures.distinctUsers
      ]),
      [[0, false, 2, 2]]
    )
    // W = BASE + 1 min − 1 ms: the window [BASE, BASE + 1 min) stays open; it is updated because W
    // passed both of its events, which makes their session starts final.
    const second = step(first.state, [ev("c", BASE_MS + 11 * MINUTE - 1, { userId: "cy" })])
    assert.deepStrictEqual(
      second.windowUpdates.map((u) => [u.minuteStartMs - BASE_MS, u.closed, u.measures.sessionsStarted]),
      [
        [0, false, 2],
        [10 * MINUTE, false, 0]
      ]
    )
    const third = step(second.state, [ev("d", BASE_MS + 11 * MINUTE, { userId: "cy" })])
    assert.deepStrictEqual(
      third.windowUpdates.map((u) => [u.minuteStartMs - BASE_MS, u.closed]),
      [
        [0, true],
        [11 * MINUTE, false]
      ]
    )
    assert.strictEqual(third.metrics.closedWindows, 1)
    const fourth = step(third.state, [ev("e", BASE_MS + 12 * MINUTE, { userId: "cy" })])
    assert.isFalse(fourth.windowUpdates.some((u) => u.minuteStartMs === BASE_MS))
  })

  it("a late event never changes a closed window; it is counted in the metrics", () => {
    const first = step(emptyState(), [ev("a", BASE_MS), ev("b", BASE_MS + 20 * MINUTE)])
    assert.isTrue(first.windowUpdates.some((u) => u.minuteStartMs === BASE_MS && u.closed))
    const late = step(first.state, [ev("c", BASE_MS + 30_000)])
    assert.deepStrictEqual(late.windowUpdates, [])
    assert.deepStrictEqual(
      late.lakeRows.map((r) => r.isLate),
      [true]
    )
    assert.strictEqual(late.metrics.late, 1)
    assert.strictEqual(late.metrics.lateWindowEvents, 1)
  })

  it("a late event whose window is still open stays out of it too (late = event time ≤ W)", () => {
    // W = 10 min exactly; an event at 10 min is late, its window [10, 11) min is still open.
    const first = step(emptyState(), [ev("a", BASE_MS + 20 * MINUTE)])
    const late = step(first.state, [ev("b", BASE_MS + 10 * MINUTE)])
    assert.deepStrictEqual(late.windowUpdates, [])
    assert.strictEqual(late.metrics.late, 1)
    assert.strictEqual(late.metrics.lateWindowEvents, 0)
  })

  it("measure configurator starts, completions and shares, funnel steps, purchases and revenue per currency", () => {
    const t = BASE_MS + 3 * MINUTE
    const result = step(emptyState(), [
      ev("a", t, { eventType: "quiz_started" }),
      ev("b", t + 1, { eventType: "quiz_step_viewed" }),
      ev("c", t + 2, { eventType: "quiz_completed" }),
      ev("h", t + 2, { eventType: "result_shared" }),
      ev("i", t + 2, { eventType: "result_shared" }),
      ev("d", t + 3, { eventType: "purchase", revenue: 19.99, currency: "EUR" }),
      ev("e", t + 4, { eventType: "purchase", revenue: 0.01, currency: "EUR" }),
      ev("f", t + 5, { eventType: "purchase", revenue: 1.005, currency: "KWD" }),
      ev("g", t + 6, { eventType: "purchase", revenue: 3 })
    ])
    const measures = result.windowUpdates[0]?.measures
    assert.strictEqual(measures?.configuratorStarts, 1)
    assert.strictEqual(measures?.configuratorCompletions, 1)
    assert.strictEqual(measures?.configuratorShares, 2)
    // One user (ada) got as far as a purchase: she counts once at every stage up to it.
    assert.deepStrictEqual(measures?.funnelSteps, {
      completed: 1,
      purchased: 1,
      result_viewed: 1,
      started: 1,
      step_viewed: 1
    })
    assert.strictEqual(measures?.purchases, 4)
    assert.deepStrictEqual(measures?.revenueByCurrency, { EUR: 20_000, KWD: 1_005, XXX: 3_000 })
    assert.deepStrictEqual(measures?.eventsByType, {
      purchase: 4,
      quiz_completed: 1,
      quiz_started: 1,
      quiz_step_viewed: 1,
      result_shared: 2
    })
  })

  it("count funnel users by their furthest stage, so no stage exceeds the one before, in any event order", () => {
    const t = BASE_MS + 3 * MINUTE
    const result = step(emptyState(), [
      // bob completed (his start was in an earlier minute) and viewed steps twice
      ev("b1", t, { userId: "bob", eventType: "quiz_step_viewed" }),
      ev("b2", t + 1, { userId: "bob", eventType: "quiz_step_viewed" }),
      ev("b3", t + 2, { userId: "bob", eventType: "quiz_completed" }),
      // cy started and viewed a step
      ev("c1", t + 3, { userId: "cy", eventType: "quiz_step_viewed" }),
      ev("c2", t + 4, { userId: "cy", eventType: "quiz_started" }),
      // dee only started
      ev("d1", t + 5, { userId: "dee", eventType: "quiz_started" })
    ])
    assert.deepStrictEqual(result.windowUpdates[0]?.measures.funnelSteps, {
      completed: 1,
      started: 3,
      step_viewed: 2
    })
  })

  it("bucket ingest-to-processing latency by fixed bounds (upper bound inclusive)", () => {
    assert.strictEqual(latencyBucketIndex(0), 0)
    assert.strictEqual(latencyBucketIndex(100), 0)
    assert.strictEqual(latencyBucketIndex(101), 1)
    assert.strictEqual(latencyBucketIndex(Number.MAX_SAFE_INTEGER), LATENCY_BUCKET_BOUNDS_MS.length)
    const result = step(emptyState(), [
      ev("a", BASE_MS, { receivedAtMs: PROCESSING_MS - 50 }),
      ev("b", BASE_MS, { receivedAtMs: PROCESSING_MS - 1_000 }),
      ev("c", BASE_MS, { receivedAtMs: PROCESSING_MS - 2 * 3_600_000 })
    ])
    const buckets = result.windowUpdates[0]?.measures.latencyBuckets ?? []
    assert.strictEqual(buckets[0], 1)
    assert.strictEqual(buckets[LATENCY_BUCKET_BOUNDS_MS.indexOf(1_000)], 1)
    assert.strictEqual(buckets[LATENCY_BUCKET_BOUNDS_MS.length], 1)
  })

  it("count a session start in its first event's minute once W passes it", () => {
    const first = step(emptyState(), [ev("a", BASE_MS + 30_000), ev("b", BASE_MS + 90_000)])
    // W is still −10 min for these events: the starts are not final yet.
    assert.deepStrictEqual(
      first.windowUpdates.map((u) => u.measures.sessionsStarted),
      [0, 0]
    )
    const second = step(first.state, [ev("c", BASE_MS + 11 * MINUTE, { userId: "bob" })])
    const minuteZero = second.windowUpdates.find((u) => u.minuteStartMs === BASE_MS)
    assert.deepStrictEqual([minuteZero?.closed, minuteZero?.measures.sessionsStarted], [true, 1])
    // The event at 1.5 min continues that session: no start to count in minute 1, which is not updated.
    assert.isFalse(second.windowUpdates.some((u) => u.minuteStartMs === BASE_MS + MINUTE))
  })
})
