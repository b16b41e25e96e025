/**
 * The dashboard's view-model code (src/ui/dashboard/model), pure functions over the API's shapes:
 * values worked out by hand, and the invariants as properties.
 */
import { assert, describe, it } from "@effect/vitest"
import { Schema } from "effect"
import type { KpiMinute } from "../../src/models/api/Kpis.ts"
import type { ModelManifest } from "../../src/models/api/ModelManifest.ts"
import type { EngagementReport, ExperimentsReport, RetentionReport } from "../../src/models/api/Reports.ts"
import { sampleRatioOf } from "../../src/ui/dashboard/model/experiments.ts"
import { changeOf, ENGAGEMENT_KPIS } from "../../src/ui/dashboard/model/kpis.ts"
import { lineageOf } from "../../src/ui/dashboard/model/lineage.ts"
import { withMinute } from "../../src/ui/dashboard/model/live.ts"
import { moneySlideOf } from "../../src/ui/dashboard/model/moneySlide.ts"
import { addDays, daysIn, filtersOf, previousRange } from "../../src/ui/dashboard/model/query.ts"
import { bucketOf, seriesOf } from "../../src/ui/dashboard/model/trends.ts"
import { formatPercent } from "../../src/ui/dashboard/ui/format.ts"

type Day = EngagementReport["days"][number]
type Lift = RetentionReport["lift"][number]
type ExperimentRow = ExperimentsReport["rows"][number]

const day = (event_date: string, dau: number, starters = 0): Day => ({
  event_date,
  device_type: "(all)",
  dau,
  events: 0,
  starters,
  adoption_rate: null,
  completed_within_24h: 0,
  completion_rate: null,
  configurator_interactions: 0,
  interactions_per_starter: null,
  sessions: 0,
  session_events: 0,
  events_per_session: null,
  avg_session_duration_s: null,
  median_session_duration_s: null,
  completers: 0,
  sharers: 0,
  share_rate: null
})

const kpi = (key: string) => {
  const found = ENGAGEMENT_KPIS.find((k) => k.key === key)
  if (found === undefined) throw new Error(`no KPI ${key}`)
  return found
}

describe("the URL's filters", () => {
  it("keep a range only with both days, in order, within the API's longest range; an unknown device is all", () => {
    assert.deepStrictEqual(filtersOf({ from: "2026-11-01", to: "2026-11-07", device: "mobile" }), {
      range: { from: "2026-11-01", to: "2026-11-07" },
      device: "mobile"
    })
    assert.isUndefined(filtersOf({ from: "2026-11-01" }).range)
    assert.isUndefined(filtersOf({ from: "2026-11-07", to: "2026-11-01" }).range)
    assert.isUndefined(filtersOf({ from: "2026-11-01", to: "2026-13-01" }).range)
    assert.isUndefined(filtersOf({ from: "2020-01-01", to: "2026-11-01" }).range)
    assert.strictEqual(filtersOf({ device: "toaster" }).device, "all")
  })

  it("compare a week with the seven days before it", () => {
    assert.deepStrictEqual(previousRange({ from: "2026-03-01", to: "2026-03-07" }), {
      from: "2026-02-22",
      to: "2026-02-28"
    })
  })

  it.prop(
    "the period before has as many days and ends the day before the range starts",
    [
      Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 3000 })),
      Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 400 }))
    ],
    ([offset, length]) => {
      const from = addDays("2020-01-01", offset)
      const range = { from, to: addDays(from, length) }
      const before = previousRange(range)
      assert.strictEqual(daysIn(before), daysIn(range))
      assert.strictEqual(addDays(before.to, 1), range.from)
    },
    { arbitrary: { runs: 200 } }
  )
})

describe("a card's change", () => {
  it("is relative for counts, in points for rates, and none against a zero base", () => {
    assert.deepInclude(changeOf(110, 100, "relative", String), { text: "+10.0 %", direction: "up", previous: "100" })
    assert.deepInclude(changeOf(0.38, 0.4, "points", formatPercent), {
      text: "−2.0 pp",
      direction: "down",
      previous: "40.0 %"
    })
    assert.deepInclude(changeOf(5, 5, "relative", String), { text: "±0.0 %", direction: "flat" })
    assert.isNull(changeOf(5, 0, "relative", String))
    assert.isNull(changeOf(null, 3, "points", String))
  })
})

describe("trends", () => {
  it("fold days into ISO weeks (from Monday) and months", () => {
    // 2026-12-03 is a Thursday.
    assert.strictEqual(bucketOf("2026-12-03", "week"), "2026-11-30")
    assert.strictEqual(bucketOf("2026-11-30", "week"), "2026-11-30")
    assert.strictEqual(bucketOf("2026-12-06", "week"), "2026-11-30")
    assert.strictEqual(bucketOf("2026-12-03", "month"), "2026-12-01")
  })

  it("compute a week as the report computes a range: DAU is the mean of its days, adoption Σ starters / Σ dau", () => {
    const days = [day("2026-11-30", 10, 5), day("2026-12-01", 30, 5), day("2026-12-08", 40, 10)]
    const range = { from: "2026-11-30", to: "2026-12-20" }
    assert.deepStrictEqual(seriesOf(days, kpi("dau"), "week", range), [
      { bucket: "2026-11-30", value: 20 },
      { bucket: "2026-12-07", value: 40 },
      { bucket: "2026-12-14", value: null }
    ])
    assert.deepStrictEqual(
      seriesOf(days, kpi("adoption"), "week", range).map((p) => p.value),
      [0.25, 0.25, null]
    )
  })
})

const minute = (start: string, events: number, updated_at: string): KpiMinute =>
  ({ minute: start, events, updated_at }) as unknown as KpiMinute

describe("the live minutes", () => {
  it("replace a minute in place unless what is there was applied later", () => {
    const a = minute("2026-12-03T10:00:00.000Z", 5, "2026-12-03T10:00:30Z")
    const b = minute("2026-12-03T10:01:00.000Z", 7, "2026-12-03T10:01:10Z")
    const newer = minute("2026-12-03T10:00:00.000Z", 9, "2026-12-03T10:00:50Z")
    const stale = minute("2026-12-03T10:00:00.000Z", 1, "2026-12-03T10:00:10Z")
    assert.deepStrictEqual(
      withMinute(withMinute([a, b], newer), stale).map((m) => m.events),
      [9, 7]
    )
  })

  it.prop(
    "stay sorted, one row per minute, at most `keep` of them, the newest kept",
    [Schema.Array(Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 90 })))],
    ([starts]) => {
      let minutes: Array<KpiMinute> = []
      for (const [i, s] of starts.entries()) {
        minutes = withMinute(minutes, minute(new Date(s * 60_000).toISOString(), i, String(i).padStart(6, "0")), 30)
      }
      const keys = minutes.map((m) => m.minute)
      assert.deepStrictEqual(keys, [...new Set(keys)].sort())
      assert.isAtMost(keys.length, 30)
      const distinct = [...new Set(starts)].sort((x, y) => x - y)
      assert.strictEqual(
        keys.at(-1),
        distinct.length === 0 ? undefined : new Date((distinct.at(-1) ?? 0) * 60_000).toISOString()
      )
    },
    { arbitrary: { runs: 200 } }
  )
})

const model = (name: string, parents: ReadonlyArray<string>, sources: ReadonlyArray<string> = []) =>
  ({ name, layer: "marts", parents, sources, lastRun: null }) as unknown as ModelManifest["models"][number]

describe("the lineage graph", () => {
  it("puts sources first and each model one column right of its deepest parent, whatever the listing order", () => {
    const manifest = {
      sources: [{ id: "lake.events" }],
      models: [model("c", ["a", "b"]), model("b", ["a"]), model("a", [], ["lake.events"])]
    } as unknown as ModelManifest
    const { nodes, edges } = lineageOf(manifest)
    assert.deepStrictEqual(
      nodes.map((n) => [n.id, n.column, n.status]),
      [
        ["lake.events", 0, "source"],
        ["c", 3, "never run"],
        ["b", 2, "never run"],
        ["a", 1, "never run"]
      ]
    )
    assert.sameDeepMembers(edges, [
      { from: "a", to: "c" },
      { from: "b", to: "c" },
      { from: "a", to: "b" },
      { from: "lake.events", to: "a" }
    ])
  })
})

const lift = (day_number: number, relative: number | null, low: number | null, high: number | null): Lift => ({
  day_number,
  cohorts: 25,
  completers: 157,
  completers_returned: 20,
  completer_rate: 0.127,
  non_completers: 141,
  non_completers_returned: 8,
  non_completer_rate: 0.057,
  absolute_lift: null,
  absolute_lift_ci_low: null,
  absolute_lift_ci_high: null,
  relative_lift: relative,
  relative_lift_ci_low: low,
  relative_lift_ci_high: high
})

describe("the money slide", () => {
  it("says day 7's ratio with its interval, as a product manager reads it", () => {
    const slide = moneySlideOf([lift(1, 0.2, -0.1, 0.5), lift(7, 0.8, 0.5, 1.1)])
    assert.strictEqual(slide?.headline, "Completers return 1.8× as often on day 7, 95 % CI 1.5–2.1")
    assert.include(slide?.detail, "12.7 % of 157 users")
  })

  it("falls back to day 1 when day 7 has no ratio, and says 'only' below 1×", () => {
    assert.strictEqual(
      moneySlideOf([lift(1, -0.5, null, null), lift(7, null, null, null)])?.headline,
      "Completers return only 0.5× as often on day 1"
    )
    assert.isUndefined(moneySlideOf([lift(7, null, null, null)]))
  })
})

const variant = (name: string, exposures: number, srm_flagged: boolean | null): ExperimentRow =>
  ({
    experiment_key: "configurator_v2",
    metric: "purchase",
    variant: name,
    is_control: name === "control",
    exposures,
    srm_flagged,
    srm_p_value: srm_flagged === true ? 0.00001 : 0.5
  }) as unknown as ExperimentRow

describe("the sample-ratio check", () => {
  it("says what a mismatch means, and when it cannot run yet", () => {
    const mismatch = sampleRatioOf([variant("control", 600, true), variant("treatment", 400, true)])
    assert.strictEqual(mismatch.state, "mismatch")
    assert.include(mismatch.text, "control 600, treatment 400")
    assert.include(mismatch.text, "cannot be trusted")
    assert.strictEqual(sampleRatioOf([variant("control", 3, null)]).state, "too_early")
    assert.strictEqual(sampleRatioOf([variant("control", 500, false), variant("treatment", 510, false)]).state, "ok")
  })
})
