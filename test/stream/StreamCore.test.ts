/**
 * The stream invariants of ARCHITECTURE.md as properties over generated event sets: batch = stream (guarantee 5)
 * against the reference model, late handling (guarantee 4), the watermark (S1, S2), dedup (S4),
 * windows emitted once (K1) and conservation (F2).
 */
import { assert, describe, it } from "@effect/vitest"
import { mergeMeasures, type WindowMeasures } from "../../src/domain/KpiMeasures.ts"
import type { LakeRow } from "../../src/stream/Batch.ts"
import type { StreamEvent } from "../../src/stream/StreamEvent.ts"
import {
  closedWindowsOf,
  compareStrings,
  runBatches,
  type Scenario,
  scenarioArbitrary,
  sortSessions
} from "./fixtures.ts"
import { acceptedEvents, referenceSessions, referenceWindows } from "./ReferenceModel.ts"

/** `size` lets event sets grow to ~100 events (the default keeps them near the minimum). */
const runs = (n: number) => ({ arbitrary: { runs: n, size: 100 } })

const sum = (values: ReadonlyArray<number>): number => values.reduce((a, b) => a + b, 0)

const idsOf = (rows: ReadonlyArray<LakeRow<StreamEvent>>): Array<string> =>
  rows.map((r) => r.event.eventId).sort(compareStrings)

/** The stream after flush equals the reference model over the lake rows it wrote. */
const assertMatchesReference = (scenario: Scenario, run: ReturnType<typeof runBatches>): void => {
  const accepted = acceptedEvents(run.lakeRows)
  assert.deepStrictEqual(sortSessions(run.sessions), sortSessions(referenceSessions(accepted, scenario.rules)))
  assert.deepStrictEqual(closedWindowsOf(run.updates), referenceWindows(accepted, scenario.rules))
}

describe("stream core", () => {
  it.prop(
    "batch split and arrival order within the delay do not change sessions or closed windows (F1, K2)",
    { scenario: scenarioArbitrary("withinDelay") },
    ({ scenario }) => {
      const run = runBatches(scenario.batches, scenario.rules)
      const sortedOnce = [...scenario.arrival].sort(
        (a, b) => a.eventTimeMs - b.eventTimeMs || compareStrings(a.eventId, b.eventId)
      )
      const single = runBatches([sortedOnce], scenario.rules)
      assert.isTrue(
        run.lakeRows.every((r) => !r.isLate),
        "every event arrives within the delay"
      )
      assert.deepStrictEqual(
        idsOf(run.lakeRows),
        scenario.distinct.map((e) => e.eventId)
      )
      assert.deepStrictEqual(sortSessions(run.sessions), sortSessions(single.sessions))
      assert.deepStrictEqual(closedWindowsOf(run.updates), closedWindowsOf(single.updates))
      assertMatchesReference(scenario, run)
    },
    runs(300)
  )

  it.prop(
    "late events are flagged against W at their batch start and stay out of sessions and windows (guarantee 4)",
    { scenario: scenarioArbitrary("stragglers") },
    ({ scenario }) => {
      const run = runBatches(scenario.batches, scenario.rules)
      run.results.forEach((result, i) => {
        const watermarkMs = run.watermarks[i] ?? Number.NaN
        for (const row of result.lakeRows) assert.strictEqual(row.isLate, row.event.eventTimeMs <= watermarkMs)
        assert.isAtMost(result.metrics.lateWindowEvents, result.metrics.late)
      })
      assertMatchesReference(scenario, run)
    },
    runs(300)
  )

  it.prop(
    "each window is closed exactly once and never updated afterwards; counts are conserved (K1, F2)",
    { scenario: scenarioArbitrary("stragglers") },
    ({ scenario }) => {
      const run = runBatches(scenario.batches, scenario.rules)
      const closed = new Set<string>()
      for (const update of run.updates) {
        const key = `${update.minuteStartMs}:${update.partition}`
        assert.isFalse(closed.has(key), `window ${key} changed after it closed`)
        if (update.closed) closed.add(key)
      }
      const opened = new Set(run.updates.map((u) => `${u.minuteStartMs}:${u.partition}`))
      assert.strictEqual(closed.size, opened.size, "after the flush every window is closed")
      const closedEvents = sum(closedWindowsOf(run.updates).map((w) => w.events))
      const late = sum(run.results.map((r) => r.metrics.late))
      const duplicates = sum(run.results.map((r) => r.metrics.duplicates))
      assert.strictEqual(closedEvents + late, run.lakeRows.length)
      assert.strictEqual(run.lakeRows.length + duplicates, scenario.arrival.length)
      for (const update of run.updates.filter((u) => u.closed)) {
        assert.strictEqual(sum(update.measures.latencyBuckets), update.measures.events)
      }
    },
    runs(200)
  )

  it.prop(
    "W = max event time − delay, never decreases (S1), and every event after W is counted (S2)",
    { scenario: scenarioArbitrary("stragglers") },
    ({ scenario }) => {
      const run = runBatches(scenario.batches, scenario.rules)
      run.results.forEach((result, i) => {
        const before = run.watermarks[i] ?? Number.NaN
        const after = run.watermarks[i + 1] ?? Number.NaN
        const maxEventTimeMs = Math.max(...result.lakeRows.map((r) => r.event.eventTimeMs))
        assert.strictEqual(after, Math.max(before, maxEventTimeMs - scenario.rules.delayMs))
        assert.isAtLeast(after, before)
        assert.strictEqual(result.metrics.watermarkMs, after)
      })
      const counted = new Map<string, number>()
      for (const w of closedWindowsOf(run.updates)) counted.set(`${w.minuteStartMs}:${w.partition}`, w.events)
      const expected = new Map<string, number>()
      for (const row of run.lakeRows.filter((r) => !r.isLate)) {
        const key = `${row.event.eventTimeMs - (row.event.eventTimeMs % 60_000)}:${row.event.partition}`
        expected.set(key, (expected.get(key) ?? 0) + 1)
      }
      assert.deepStrictEqual(counted, expected)
    },
    runs(200)
  )

  it.prop(
    "copies of an id closer than the delay reach the lake at most once, whatever the split (S4)",
    { scenario: scenarioArbitrary("copiesWithinDelay") },
    ({ scenario }) => {
      const run = runBatches(scenario.batches, scenario.rules)
      assert.deepStrictEqual(
        idsOf(run.lakeRows),
        scenario.distinct.map((e) => e.eventId)
      )
      assert.strictEqual(
        sum(run.results.map((r) => r.metrics.duplicates)),
        scenario.arrival.length - scenario.distinct.length
      )
    },
    runs(300)
  )

  it.prop(
    "per-minute measures merge across partitions into the measures of the whole minute",
    { scenario: scenarioArbitrary("stragglers") },
    ({ scenario }) => {
      const run = runBatches(scenario.batches, scenario.rules)
      const merged = new Map<number, WindowMeasures>()
      for (const update of run.updates.filter((u) => u.closed)) {
        const seen = merged.get(update.minuteStartMs)
        merged.set(update.minuteStartMs, seen === undefined ? update.measures : mergeMeasures(seen, update.measures))
      }
      const onePartition = acceptedEvents(run.lakeRows).map((e) => ({ ...e, partition: 0 }))
      const expected = referenceWindows(onePartition, scenario.rules)
      const actual = [...merged]
        .sort(([a], [b]) => a - b)
        .map(([minuteStartMs, { latencyBuckets: _latency, ...measures }]) => ({
          minuteStartMs,
          partition: 0,
          ...measures
        }))
      assert.deepStrictEqual(actual, expected)
    },
    runs(200)
  )
})
