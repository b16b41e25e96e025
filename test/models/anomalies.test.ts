/**
 * The anomaly rule (src/models/alerts/Anomalies.ts) on hand-worked series: the trailing hour with
 * zero-filled minutes, the history floor, the standard-deviation floor and the strict threshold.
 */
import { assert, describe, it } from "@effect/vitest"
import { Schema } from "effect"
import { detectAnomalies, type MinuteValues, meanAndStddev } from "../../src/models/alerts/Anomalies.ts"

const MINUTE = 60_000
const T0 = Date.parse("2026-11-02T10:00:00Z")
const at = (minute: number) => T0 + minute * MINUTE

const series = (entries: ReadonlyArray<readonly [number, number, number]>) =>
  new Map<number, MinuteValues>(entries.map(([m, events, users]) => [at(m), { events, distinct_users: users }]))

/** 60 minutes 0 … 59: events alternate 10, 14 (mean 12, sample deviation √(240/59)); users are 5 throughout. */
const baseline = Array.from({ length: 60 }, (_, m) => [m, m % 2 === 0 ? 10 : 14, 5] as const)
const SD = Math.sqrt(240 / 59)

describe("detectAnomalies", () => {
  it("flags a minute more than 3 deviations above its trailing hour, and only that one", () => {
    const minutes = series([...baseline, [60, 30, 8]])
    const found = detectAnomalies({ minutes, firstMinuteMs: at(0), fromMs: at(0), toMs: at(60) })
    assert.strictEqual(found.length, 1)
    const [spike] = found
    assert.deepInclude(spike, { minuteMs: at(60), measure: "events", value: 30, baselineMinutes: 60 })
    assert.closeTo(spike?.mean ?? 0, 12, 1e-12)
    assert.closeTo(spike?.stddev ?? 0, SD, 1e-12)
    assert.closeTo(spike?.z ?? 0, 18 / SD, 1e-12)
    // Users: 8 against a flat 5 is z = (8 − 5) / max(0, 1) = 3, which is not above 3.
  })

  it("floors a flat baseline's deviation at 1: users 9 against a flat 5 is z = 4", () => {
    const found = detectAnomalies({
      minutes: series([...baseline, [60, 12, 9]]),
      firstMinuteMs: at(0),
      fromMs: at(60),
      toMs: at(60)
    })
    assert.deepStrictEqual(found, [
      { minuteMs: at(60), measure: "distinct_users", value: 9, mean: 5, stddev: 0, z: 4, baselineMinutes: 60 }
    ])
  })

  it("counts a minute without a row as 0, and judges no minute with less than 30 minutes of history", () => {
    // Minutes 0 … 29 hold 1 event each, 30 … 59 none; minute 60: 4 events.
    // Baseline of 60: thirty 1s and thirty 0s: mean 0.5, s = √(15/59) ≈ 0.504, floored to 1: z = 3.5.
    const minutes = series([...Array.from({ length: 30 }, (_, m) => [m, 1, 1] as const), [60, 4, 1]])
    const found = detectAnomalies({ minutes, firstMinuteMs: at(0), fromMs: at(0), toMs: at(60) })
    assert.deepStrictEqual(
      found.map((a) => [a.minuteMs, a.measure, a.mean, a.z]),
      [[at(60), "events", 0.5, 3.5]]
    )
    // With history starting at minute 31 the same minute has 29 baseline minutes: not judged.
    assert.deepStrictEqual(detectAnomalies({ minutes, firstMinuteMs: at(31), fromMs: at(0), toMs: at(60) }), [])
    // Nothing held at all: nothing judged.
    assert.deepStrictEqual(detectAnomalies({ minutes, firstMinuteMs: null, fromMs: at(0), toMs: at(60) }), [])
  })

  it("judges only minutes in [from, to], newest first", () => {
    const minutes = series([...baseline, [60, 30, 5], [61, 40, 5]])
    const both = detectAnomalies({ minutes, firstMinuteMs: at(0), fromMs: at(0), toMs: at(61) })
    assert.deepStrictEqual(
      both.map((a) => [a.minuteMs, a.value]),
      [
        [at(61), 40],
        [at(60), 30]
      ]
    )
    assert.deepStrictEqual(
      detectAnomalies({ minutes, firstMinuteMs: at(0), fromMs: at(61), toMs: at(61) }).map((a) => a.minuteMs),
      [at(61)]
    )
  })

  const Values = Schema.Array(Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 1000 }))).check(
    Schema.isMinLength(2)
  )

  it.prop(
    "mean and sample deviation: shifting every value shifts the mean and keeps the deviation",
    [Values, Schema.Int.check(Schema.isBetween({ minimum: -500, maximum: 500 }))],
    ([values, shift]) => {
      const plain = meanAndStddev(values)
      const shifted = meanAndStddev(values.map((v) => v + shift))
      assert.closeTo(shifted.mean, plain.mean + shift, 1e-9)
      assert.closeTo(shifted.stddev, plain.stddev, 1e-9)
      const squares = values.reduce((sum, v) => sum + (v - plain.mean) ** 2, 0)
      assert.closeTo(plain.stddev ** 2 * (values.length - 1), squares, 1e-6)
    },
    { arbitrary: { runs: 100 } }
  )

  it.prop(
    "a baseline minute is never flagged against a baseline of copies of itself",
    [Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 10_000 }))],
    ([value]) => {
      const minutes = series(Array.from({ length: 61 }, (_, m) => [m, value, value] as const))
      assert.deepStrictEqual(detectAnomalies({ minutes, firstMinuteMs: at(0), fromMs: at(0), toMs: at(60) }), [])
    },
    { arbitrary: { runs: 50 } }
  )
})
