/**
 * The report and export endpoints over a real warehouse: a small hand-built event set is written to the
 * lake, the models are built through `POST /api/v1/models/run`, and every number the reports answer is
 * worked out by hand below from the events (never copied from the output).
 *
 * The events, two UTC days D1 = 2026-11-02 and D2 = 2026-11-03, no utm unless said:
 *
 * | user | device  | D1                                                                              | D2                  |
 * | a    | desktop | 09:59 exposure control, 10:00 started, 10:01 step, 10:05 completed, 10:05:30 result, 10:06 shared | 15:00 purchase 50 EUR |
 * | b    | mobile  | 10:59 exposure sliders_first, 11:00 started, 11:05 purchase 30 EUR, 11:10 page_view |     |
 * | c    | desktop | 12:00 page_view (utm newsletter / launch)                                       |                     |
 * | d    | mobile  |                                                                                 | 08:59 exposure sliders_first, 09:00 started, 09:01 step, 09:30 completed |
 */

import { readdirSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import * as path from "node:path"
import { DuckDBInstance } from "@duckdb/node-api"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { Duration, Effect } from "effect"
import type { EnrichedEvent } from "../../src/domain/Catalog.ts"
import { lakeLayerFor } from "../lake/helpers.ts"
import { getJson, startWarehouse, type TestWarehouse } from "./fixtures.ts"
import { event, HOUR, MINUTE, purchase } from "./marts/fixtures.ts"
import { writeEvents } from "./runner/fixtures.ts"

const D1 = Date.parse("2026-11-02T00:00:00Z")
const D2 = Date.parse("2026-11-03T00:00:00Z")
const at = (dayStart: number, hh: number, mm: number, ss = 0) => dayStart + hh * HOUR + mm * MINUTE + ss * 1000

const quiz = { quiz_id: "stack" }
const a = { user: "a", device: "desktop" as const }
const b = { user: "b", device: "mobile" as const }
const c = { user: "c", device: "desktop" as const }
const d = { user: "d", device: "mobile" as const }
const exposure = (user: typeof a | typeof b, variant: string, time: number) =>
  event("experiment_exposure", { experiment_key: "configurator_layout", variant }, { ...user, at: time })

const events: ReadonlyArray<EnrichedEvent> = [
  exposure(a, "control", at(D1, 9, 59)),
  event("quiz_started", quiz, { ...a, at: at(D1, 10, 0) }),
  event("quiz_step_viewed", { ...quiz, step_id: "team", step_index: 0, step_count: 4 }, { ...a, at: at(D1, 10, 1) }),
  event(
    "quiz_completed",
    { ...quiz, result_id: "r-a", step_count: 4, duration_ms: 300_000 },
    { ...a, at: at(D1, 10, 5) }
  ),
  event("result_viewed", { ...quiz, result_id: "r-a", product_ids: ["posthog"] }, { ...a, at: at(D1, 10, 5, 30) }),
  event("result_shared", { ...quiz, result_id: "r-a", channel: "link" }, { ...a, at: at(D1, 10, 6) }),
  purchase({ ...a, at: at(D2, 15, 0) }, { orderId: "o-a", revenue: 50, currency: "EUR" }),
  exposure(b, "sliders_first", at(D1, 10, 59)),
  event("quiz_started", quiz, { ...b, at: at(D1, 11, 0) }),
  purchase({ ...b, at: at(D1, 11, 5) }, { orderId: "o-b", revenue: 30, currency: "EUR" }),
  event("page_view", { title: "Home" }, { ...b, at: at(D1, 11, 10) }),
  event("page_view", { title: "Home" }, { ...c, at: at(D1, 12, 0), utm: { source: "newsletter", campaign: "launch" } }),
  exposure(d, "sliders_first", at(D2, 8, 59)),
  event("quiz_started", quiz, { ...d, at: at(D2, 9, 0) }),
  event("quiz_step_viewed", { ...quiz, step_id: "team", step_index: 0, step_count: 4 }, { ...d, at: at(D2, 9, 1) }),
  event(
    "quiz_completed",
    { ...quiz, result_id: "r-d", step_count: 4, duration_ms: 1_740_000 },
    { ...d, at: at(D2, 9, 30) }
  )
]

let warehouse: TestWarehouse
const report = (pathAndQuery: string) => getJson(`${warehouse.baseUrl}/api/v1/reports/${pathAndQuery}`)

interface ApiError {
  readonly error: {
    readonly status: number
    readonly code: string
    readonly message: string
    readonly parameter?: string
  }
}

const close = (actual: number | null | undefined, expected: number) =>
  assert.closeTo(actual ?? Number.NaN, expected, 1e-9)

beforeAll(async () => {
  // No scheduled runs: the test builds the models when it has written the events.
  warehouse = await startWarehouse({ settings: { modelsInterval: Duration.zero } })
}, 60_000)
afterAll(() => warehouse?.close())

describe("reports before the first model run", () => {
  it("answer 409 model_not_built naming the mart, not a 500", async () => {
    const { status, body } = await report("engagement")
    assert.strictEqual(status, 409)
    assert.strictEqual((body as ApiError).error.code, "model_not_built")
    assert.include((body as ApiError).error.message, "fct_daily_engagement")
    const exported = await getJson(`${warehouse.baseUrl}/api/v1/export/fct_revenue.csv`)
    assert.strictEqual(exported.status, 409)
  })
})

describe("reports over the hand-built events", () => {
  beforeAll(async () => {
    await Effect.runPromise(writeEvents(0, 0, events).pipe(Effect.provide(lakeLayerFor(warehouse.dataDir))))
    const run = await fetch(`${warehouse.baseUrl}/api/v1/models/run`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({})
    })
    const body = (await run.json()) as { run: { status: string } }
    if (body.run === undefined) throw new Error(JSON.stringify(body))
    assert.strictEqual(body.run.status, "success")
  }, 120_000)

  it("engagement: each day by hand, and the range as sums of the days", async () => {
    const { status, body } = await report("engagement?from=2026-11-02&to=2026-11-03")
    assert.strictEqual(status, 200)
    const answer = body as {
      built_at: string | null
      range: { from: string; to: string }
      device: string
      days: ReadonlyArray<Record<string, number | string | null>>
      totals: Record<string, number | null>
    }
    assert.deepStrictEqual(answer.range, { from: "2026-11-02", to: "2026-11-03" })
    assert.strictEqual(answer.device, "all")
    assert.isNotNull(answer.built_at)
    const [one, two] = answer.days
    // D1: a, b, c active; a and b started; a completed (and shared) within 24 h.
    assert.deepInclude(one, {
      event_date: "2026-11-02",
      device_type: "all",
      dau: 3,
      events: 11,
      starters: 2,
      completed_within_24h: 1,
      sessions: 3,
      session_events: 11,
      completers: 1,
      sharers: 1
    })
    close(one?.adoption_rate as number, 2 / 3)
    close(one?.completion_rate as number, 1 / 2)
    close(one?.events_per_session as number, 11 / 3)
    // Sessions: a 09:59–10:06 (420 s), b 10:59–11:10 (660 s), c one event (0 s).
    close(one?.avg_session_duration_s as number, (420 + 660 + 0) / 3)
    close(one?.median_session_duration_s as number, 420)
    close(one?.share_rate as number, 1)
    // D2: a (purchase) and d active; d started and completed; nobody shared.
    assert.deepInclude(two, { event_date: "2026-11-03", dau: 2, events: 5, starters: 1, completers: 1, sharers: 0 })
    close(two?.completion_rate as number, 1)
    close(two?.avg_session_duration_s as number, (1860 + 0) / 2)
    // The range: Σ starters / Σ dau = 3 / 5; Σ completed / Σ starters = 2 / 3; sessions 16 events / 5.
    assert.deepInclude(answer.totals, { days: 2, events: 16, starters: 3 })
    close(answer.totals.average_dau, 2.5)
    close(answer.totals.adoption_rate, 3 / 5)
    close(answer.totals.completion_rate, 2 / 3)
    close(answer.totals.events_per_session, 16 / 5)
    close(answer.totals.avg_session_duration_s, (420 + 660 + 0 + 1860 + 0) / 5)
    close(answer.totals.share_rate, 1 / 2)
  })

  it("engagement on one device, and the default range: 30 days up to the latest day with data", async () => {
    const mobile = (await report("engagement?from=2026-11-02&to=2026-11-02&device=mobile")).body as {
      days: ReadonlyArray<Record<string, number | string | null>>
    }
    // Only b on a phone on D1: started, did not complete.
    assert.strictEqual(mobile.days.length, 1)
    assert.deepInclude(mobile.days[0], { dau: 1, events: 4, starters: 1, completed_within_24h: 0, completion_rate: 0 })
    const defaults = (await report("engagement")).body as { range: { from: string; to: string }; days: Array<unknown> }
    assert.deepStrictEqual(defaults.range, { from: "2026-10-05", to: "2026-11-03" })
    assert.strictEqual(defaults.days.length, 2)
  })

  it("funnel from the mart: the configurator funnel, users per step by hand", async () => {
    const { status, body } = await report("funnel")
    assert.strictEqual(status, 200)
    const answer = body as {
      source: string
      funnel: string
      steps: Array<string>
      window_days: number
      rows: ReadonlyArray<{ users: number; conversion_from_previous: number | null; drop_off_users: number | null }>
    }
    assert.strictEqual(answer.source, "mart")
    assert.strictEqual(answer.funnel, "configurator")
    assert.strictEqual(answer.window_days, 14)
    assert.deepStrictEqual(answer.steps, [
      "quiz_started",
      "quiz_step_viewed",
      "quiz_completed",
      "result_viewed",
      "purchase"
    ])
    // started a, b, d; step viewed a, d; completed a, d; result a; purchase a (after its result, within 14 days).
    assert.deepStrictEqual(
      answer.rows.map((row) => row.users),
      [3, 2, 2, 1, 1]
    )
    assert.deepStrictEqual(
      answer.rows.map((row) => row.drop_off_users),
      [null, 1, 0, 1, 0]
    )
    close(answer.rows[1]?.conversion_from_previous, 2 / 3)
    close(answer.rows[3]?.conversion_from_previous, 1 / 2)
  })

  it("funnel over any steps, and the named funnel over a date range, computed now", async () => {
    const adHoc = (await report("funnel?steps=quiz_started,purchase&breakdown=device_type")).body as {
      source: string
      funnel: string | null
      rows: ReadonlyArray<{ breakdown_value: string; step_index: number; users: number }>
    }
    assert.strictEqual(adHoc.source, "query")
    assert.isNull(adHoc.funnel)
    // desktop: a started and bought later; mobile: b bought after starting, d never bought.
    assert.deepStrictEqual(
      adHoc.rows.map((row) => [row.breakdown_value, row.step_index, row.users]),
      [
        ["desktop", 1, 1],
        ["desktop", 2, 1],
        ["mobile", 1, 2],
        ["mobile", 2, 1]
      ]
    )
    // Entries on D2 only: d, who reached "completed" but saw no result.
    const ranged = (await report("funnel?funnel=configurator&from=2026-11-03&to=2026-11-03")).body as {
      source: string
      range: { from: string; to: string }
      rows: ReadonlyArray<{ users: number }>
    }
    assert.strictEqual(ranged.source, "query")
    assert.deepStrictEqual(ranged.range, { from: "2026-11-03", to: "2026-11-03" })
    assert.deepStrictEqual(
      ranged.rows.map((row) => row.users),
      [1, 1, 1, 0, 0]
    )
  })

  it("retention: the D1 cohort's day-1 return, unobservable cells null, and the completer lift", async () => {
    const all = (await report("retention?from=2026-11-02&to=2026-11-03")).body as {
      cohorts: ReadonlyArray<{
        cohort_date: string
        day_number: number
        cohort_size: number
        is_observable: boolean
        returned_users: number | null
        return_rate: number | null
      }>
      lift: ReadonlyArray<Record<string, number | null>>
    }
    const cell = (cohort: string, dayNumber: number) =>
      all.cohorts.find((row) => row.cohort_date === cohort && row.day_number === dayNumber)
    // D1 cohort a, b, c: only a came back on D2. D2 cohort d: day 1 is after the data ends.
    assert.deepInclude(cell("2026-11-02", 1), { cohort_size: 3, is_observable: true, returned_users: 1 })
    close(cell("2026-11-02", 1)?.return_rate, 1 / 3)
    assert.deepInclude(cell("2026-11-02", 7), { is_observable: false, returned_users: null, return_rate: null })
    assert.deepInclude(cell("2026-11-03", 1), { cohort_size: 1, is_observable: false, returned_users: null })
    // Day 1, pooled over the one observable cohort: completers {a} all returned, non-completers {b, c} none.
    const dayOne = all.lift.find((row) => row.day_number === 1)
    assert.deepInclude(dayOne, { completers: 1, completers_returned: 1, non_completers: 2, non_completers_returned: 0 })
    close(dayOne?.absolute_lift, 1)
    assert.isNull(dayOne?.relative_lift ?? null, "a ratio over a zero rate has no value")
    const completers = (await report("retention?from=2026-11-02&to=2026-11-02&group=completers")).body as {
      cohorts: ReadonlyArray<{ day_number: number; cohort_size: number; return_rate: number | null }>
    }
    assert.deepInclude(
      completers.cohorts.find((row) => row.day_number === 1),
      { cohort_size: 1, return_rate: 1 }
    )
  })

  it("experiments: the layout experiment per variant, with the lift against control", async () => {
    const answer = (await report("experiments?experiment=configurator_layout")).body as {
      experiments: Array<string>
      rows: ReadonlyArray<Record<string, string | number | boolean | null>>
    }
    assert.deepStrictEqual(answer.experiments, ["configurator_layout"])
    const completion = answer.rows.filter((row) => row.metric === "configurator_completion")
    // control: a completed; sliders_first: d completed, b did not.
    assert.deepInclude(completion[0], { variant: "control", is_control: true, exposures: 1, conversions: 1 })
    assert.deepInclude(completion[1], { variant: "sliders_first", exposures: 2, conversions: 1 })
    close(completion[1]?.absolute_lift as number, 0.5 - 1)
    // Three exposed users: too few for a verdict, and for the sample-ratio check (100).
    assert.deepInclude(completion[1], { meets_minimum_exposures: false, srm_p_value: null, srm_flagged: null })
  })

  it("revenue: per day and currency, by device, and the range's totals", async () => {
    const none = (await report("revenue?from=2026-11-02&to=2026-11-03")).body as {
      rows: ReadonlyArray<Record<string, string | number | null>>
      totals: ReadonlyArray<Record<string, string | number | null>>
    }
    assert.deepStrictEqual(none.rows, [
      {
        order_date: "2026-11-02",
        breakdown_value: "(all)",
        currency: "EUR",
        orders: 1,
        revenue: 30,
        average_order_value: 30,
        units: 1
      },
      {
        order_date: "2026-11-03",
        breakdown_value: "(all)",
        currency: "EUR",
        orders: 1,
        revenue: 50,
        average_order_value: 50,
        units: 1
      }
    ])
    assert.deepStrictEqual(none.totals, [
      { currency: "EUR", orders: 2, revenue: 80, average_order_value: 40, units: 2 }
    ])
    const mobile = (await report("revenue?from=2026-11-02&to=2026-11-03&device=mobile&breakdown=device_type")).body as {
      rows: ReadonlyArray<Record<string, string | number | null>>
    }
    assert.deepStrictEqual(
      mobile.rows.map((row) => [row.order_date, row.breakdown_value, row.revenue]),
      [["2026-11-02", "mobile", 30]]
    )
  })

  it("segments, attribution and search", async () => {
    const segments = (await report("segments")).body as {
      as_of_date: string
      segments: ReadonlyArray<{ segment: string; users: number }>
      transitions: Array<unknown>
    }
    // Everyone was first seen within 7 days of the latest day: all new; a first build records no transitions.
    assert.strictEqual(segments.as_of_date, "2026-11-03")
    assert.deepStrictEqual(segments.segments, [
      { segment: "new", users: 4 },
      { segment: "casual", users: 0 },
      { segment: "power", users: 0 },
      { segment: "dormant", users: 0 }
    ])
    assert.deepStrictEqual(segments.transitions, [])

    const attribution = (await report("attribution?model=first_touch")).body as {
      rows: ReadonlyArray<Record<string, string | number | null>>
    }
    // c came from the newsletter and bought nothing; a's and b's orders are direct.
    assert.deepStrictEqual(
      attribution.rows.map((row) => [
        row.utm_source,
        row.utm_campaign,
        row.users,
        row.converting_users,
        row.orders,
        row.revenue
      ]),
      [
        ["(direct)", "(direct)", 3, 2, 2, 80],
        ["newsletter", "launch", 1, 0, 0, 0]
      ]
    )

    const search = (await report("search?from=2026-11-02&to=2026-11-03")).body as {
      days: Array<unknown>
      totals: Record<string, number | null>
    }
    assert.deepStrictEqual(search.days, [])
    assert.deepStrictEqual(search.totals, {
      searches: 0,
      searches_with_click: 0,
      searches_with_booking: 0,
      click_through_rate: null,
      conversion_rate: null
    })
  })

  it("a bad parameter is a 400 that names it", async () => {
    const cases: ReadonlyArray<readonly [string, string, string]> = [
      ["nope", "report", "no report nope"],
      ["engagement?from=2026-13-01", "from", "YYYY-MM-DD"],
      ["engagement?to=2026-02-31", "to", "YYYY-MM-DD"],
      ["engagement?from=2026-1-1", "from", "YYYY-MM-DD"],
      ["engagement?from=2026-11-03&to=2026-11-02", "to", "before from"],
      ["engagement?from=2024-01-01&to=2026-11-02", "from", "at most 366"],
      ["engagement?device=phone", "device", ""],
      ["funnel?steps=quiz_started,not_a_type", "steps", "not_a_type"],
      ["funnel?steps=quiz_started", "steps", "2 to 20"],
      ["funnel?steps=quiz_started,purchase&funnel=commerce", "steps", "not both"],
      ["funnel?window_days=0", "window_days", ""],
      ["funnel?mode=sideways", "mode", ""],
      ["retention?group=everyone", "group", ""],
      ["experiments?experiment=nope", "experiment", "configurator_layout"],
      ["revenue?breakdown=country", "breakdown", ""],
      ["attribution?model=linear", "model", ""]
    ]
    for (const [query, parameter, message] of cases) {
      const { status, body } = await report(query)
      assert.strictEqual(status, 400, query)
      assert.strictEqual((body as ApiError).error.parameter, parameter, query)
      assert.include((body as ApiError).error.message, message, query)
    }
  })

  it("exports a mart as CSV and as Parquet, streamed from a file that is gone afterwards", async () => {
    const csv = await fetch(`${warehouse.baseUrl}/api/v1/export/fct_revenue.csv`)
    assert.strictEqual(csv.status, 200)
    assert.include(csv.headers.get("content-type") ?? "", "text/csv")
    assert.strictEqual(csv.headers.get("content-disposition"), 'attachment; filename="fct_revenue.csv"')
    const lines = (await csv.text()).trim().split("\n")
    assert.strictEqual(
      lines[0],
      "order_date,device_type,utm_campaign,currency,orders,revenue,average_order_value,units,buyers"
    )
    assert.sameMembers(lines.slice(1), [
      "2026-11-02,mobile,(none),EUR,1,30.0,30.0,1,1",
      "2026-11-03,desktop,(none),EUR,1,50.0,50.0,1,1"
    ])

    const parquet = await fetch(`${warehouse.baseUrl}/api/v1/export/fct_revenue.parquet`)
    assert.strictEqual(parquet.status, 200)
    const file = path.join(tmpdir(), `launchpad-export-${process.pid}.parquet`)
    writeFileSync(file, new Uint8Array(await parquet.arrayBuffer()))
    const duck = await (await DuckDBInstance.create(":memory:")).connect()
    const read = await duck.runAndReadAll(
      `SELECT count(*)::INTEGER AS n, sum(revenue)::DOUBLE AS revenue FROM '${file}'`
    )
    assert.deepStrictEqual(read.getRowObjectsJson(), [{ n: 2, revenue: 80 }])
    duck.closeSync()

    assert.deepStrictEqual(readdirSync(path.join(warehouse.dataDir, "tmp", "exports")), [])
    for (const bad of ["nope.csv", "fct_revenue.xlsx", "stg_events.csv"]) {
      const { status, body } = await getJson(`${warehouse.baseUrl}/api/v1/export/${bad}`)
      assert.strictEqual(status, 400, bad)
      assert.strictEqual((body as ApiError).error.parameter, "file", bad)
    }
  })

  it("documents every report and the export in the OpenAPI document", async () => {
    const { body } = await getJson(`${warehouse.baseUrl}/openapi.json`)
    const paths = Object.keys((body as { paths: Record<string, unknown> }).paths)
    for (const name of [
      "engagement",
      "funnel",
      "retention",
      "experiments",
      "revenue",
      "segments",
      "attribution",
      "search"
    ]) {
      assert.include(paths, `/api/v1/reports/${name}`)
    }
    assert.include(paths, "/api/v1/export/{file}")
  })
})
