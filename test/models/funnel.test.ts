/** Funnel math and latency percentiles, without a server. */
import { describe, expect, it } from "vitest"
import { LATENCY_BUCKET_BOUNDS_MS } from "../../src/domain/KpiMeasures.ts"
import { bucketQuantile, funnelOf, minuteRange } from "../../src/models/live/KpiQueries.ts"

describe("funnelOf", () => {
  it("lists the stages in funnel order, starts and completions from their stages, rates from the start and the previous stage", () => {
    // Users at each stage or beyond, as the funnel measure counts them (never more than the stage before).
    const funnel = funnelOf({ purchased: 1, completed: 4, step_viewed: 8, started: 10 })
    expect(funnel.steps.map((s) => [s.step, s.count])).toEqual([
      ["started", 10],
      ["step_viewed", 8],
      ["completed", 4],
      ["result_viewed", 0],
      ["purchased", 1]
    ])
    expect(funnel.starts).toBe(10)
    expect(funnel.completions).toBe(4)
    expect(funnel.steps[1]).toEqual({ step: "step_viewed", count: 8, rate_from_start: 0.8, rate_from_previous: 0.8 })
    expect(funnel.steps[2]).toEqual({ step: "completed", count: 4, rate_from_start: 0.4, rate_from_previous: 0.5 })
    expect(funnel.conversion_rate).toBe(0.4)
  })

  it("has null rates without starts", () => {
    const funnel = funnelOf({})
    expect(funnel.starts).toBe(0)
    expect(funnel.steps[0]).toEqual({ step: "started", count: 0, rate_from_start: null, rate_from_previous: null })
    expect(funnel.conversion_rate).toBeNull()
  })
})

describe("bucketQuantile", () => {
  it("is the upper bound of the bucket holding the quantile; null when empty or in the overflow bucket", () => {
    const counts = new Array<number>(13).fill(0)
    expect(bucketQuantile(LATENCY_BUCKET_BOUNDS_MS, counts, 0.5)).toBeNull()
    counts[0] = 50
    counts[2] = 45
    counts[12] = 5
    expect(bucketQuantile(LATENCY_BUCKET_BOUNDS_MS, counts, 0.5)).toBe(100)
    expect(bucketQuantile(LATENCY_BUCKET_BOUNDS_MS, counts, 0.95)).toBe(500)
    expect(bucketQuantile(LATENCY_BUCKET_BOUNDS_MS, counts, 0.99)).toBeNull()
  })
})

describe("minuteRange", () => {
  it("covers minutes_back minutes ending with the current one", () => {
    const now = Date.UTC(2026, 10, 22, 10, 7, 30)
    expect(minuteRange(1, now)).toEqual({ from: Date.UTC(2026, 10, 22, 10, 7), to: Date.UTC(2026, 10, 22, 10, 7) })
    expect(minuteRange(60, now).from).toBe(Date.UTC(2026, 10, 22, 9, 8))
  })
})
