/**
 * The report endpoints: one typed endpoint per mart family under `/api/v1/reports/…`, and the export of
 * any mart as CSV or Parquet. Every parameter is bound into fixed SQL (a client never sends SQL); a bad
 * one is a 400 that names it; a mart that has never been built is a 409 (`model_not_built`).
 *
 * Each report's rows are the mart's own columns (their definitions are the model descriptions in
 * `src/models/sql/marts/*.ts`, served by `GET /api/v1/models`); a test checks every row schema here
 * against the columns the warehouse actually builds.
 */
import { Schema } from "effect"
import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "effect/http-api"
import { EVENT_TYPES } from "../../domain/Catalog.ts"
import { DeviceType } from "../../domain/Envelope.ts"
import { FUNNEL_BREAKDOWNS, FUNNEL_MODES, MART_FUNNELS, MAX_FUNNEL_STEPS } from "../../domain/Funnels.ts"
import { ALL_DEVICES, ATTRIBUTION_MODELS, RETENTION_GROUPS, SEGMENTS } from "../../domain/Metrics.ts"
import { DecimalInt } from "../../domain/QueryParams.ts"
import { InvalidQuery, NotBuilt, WarehouseUnavailable } from "./WarehouseErrors.ts"

/** The longest date range a report answers (a year and a day, so a leap year fits). */
export const MAX_RANGE_DAYS = 366
/** The range a report covers when `from` and `to` are absent: the 30 days up to the latest day with data. */
export const DEFAULT_RANGE_DAYS = 30
/** The longest funnel window the API takes, in days (PostHog's limit). */
export const MAX_FUNNEL_WINDOW_DAYS = 90

const EVENT_TYPE_SET: ReadonlySet<string> = new Set(EVENT_TYPES)

/** A calendar day `YYYY-MM-DD` (UTC, like every mart's dates). */
export const IsoDay = (name: string) =>
  Schema.String.check(
    Schema.makeFilter((text: string) => {
      const ms = /^\d{4}-\d{2}-\d{2}$/.test(text) ? Date.parse(`${text}T00:00:00Z`) : Number.NaN
      // Date.parse takes 2026-02-31 (as March 3): a real day reads back as itself.
      const valid = Number.isFinite(ms) && new Date(ms).toISOString().slice(0, 10) === text
      return valid || `${name} must be a calendar day written YYYY-MM-DD`
    })
  ).annotate({ description: "a UTC day, YYYY-MM-DD" })

const Day = Schema.String.annotate({ description: "a UTC day, YYYY-MM-DD" })
const Count = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))
const Rate = Schema.NullOr(Schema.Number).annotate({ description: "0 … 1; null when the denominator is 0" })
const NullableNumber = Schema.NullOr(Schema.Number)

export const DeviceFilter = Schema.Literals([ALL_DEVICES, ...DeviceType.literals]).annotate({
  description: "one device, or `all` (the default): every device together"
})

const dateRange = {
  from: Schema.optional(IsoDay("from")),
  to: Schema.optional(IsoDay("to"))
}

/** The date range a report answered for, after defaults. */
export const ReportRange = Schema.Struct({ from: Day, to: Day }).annotate({ title: "ReportRange" })

/** What every report answers besides its rows: which mart, built when. */
const about = {
  built_at: Schema.NullOr(Schema.String).annotate({
    description: "when the mart was last built successfully (ISO 8601); null if no run recorded it"
  })
}

/** A lift against a baseline with its 95 % interval, as the retention and experiment marts compute it. */
const lift = {
  absolute_lift: NullableNumber,
  absolute_lift_ci_low: NullableNumber,
  absolute_lift_ci_high: NullableNumber,
  relative_lift: NullableNumber,
  relative_lift_ci_low: NullableNumber,
  relative_lift_ci_high: NullableNumber
}

// --- engagement -------------------------------------------------------------------------------

export const EngagementDay = Schema.Struct({
  event_date: Day,
  device_type: Schema.String,
  dau: Count,
  events: Count,
  starters: Count,
  adoption_rate: Rate,
  completed_within_24h: Count,
  completion_rate: Rate,
  configurator_interactions: Count,
  interactions_per_starter: NullableNumber,
  sessions: Count,
  session_events: Count,
  events_per_session: NullableNumber,
  avg_session_duration_s: NullableNumber,
  median_session_duration_s: NullableNumber,
  completers: Count,
  sharers: Count,
  share_rate: Rate
}).annotate({ title: "EngagementDay", description: "a row of fct_daily_engagement" })

export const EngagementTotals = Schema.Struct({
  days: Count.annotate({ description: "days with data in the range" }),
  average_dau: NullableNumber.annotate({ description: "mean of the days' DAU" }),
  events: Count,
  starters: Count.annotate({ description: "sum of the days' starters (user-days)" }),
  adoption_rate: Rate.annotate({ description: "Σ starters / Σ dau" }),
  completion_rate: Rate.annotate({ description: "Σ completed_within_24h / Σ starters" }),
  interactions_per_starter: NullableNumber.annotate({ description: "Σ configurator_interactions / Σ starters" }),
  events_per_session: NullableNumber.annotate({ description: "Σ session_events / Σ sessions" }),
  avg_session_duration_s: NullableNumber.annotate({ description: "session-weighted mean of the days' averages" }),
  share_rate: Rate.annotate({ description: "Σ sharers / Σ completers" })
}).annotate({
  title: "EngagementTotals",
  description: "the range as a whole: sums of the daily counts (a user active on two days counts twice)"
})

export const EngagementReport = Schema.Struct({
  ...about,
  range: ReportRange,
  device: DeviceFilter,
  days: Schema.Array(EngagementDay),
  totals: EngagementTotals
}).annotate({ title: "EngagementReport" })
export type EngagementReport = typeof EngagementReport.Type

// --- funnel ------------------------------------------------------------------------------------

/** `steps=a,b,c`: 2 to 20 catalog event types, comma-separated, in funnel order. */
export const StepsParam = Schema.String.check(
  Schema.makeFilter((text: string) => {
    const steps = text.split(",")
    const unknown = steps.filter((step) => !EVENT_TYPE_SET.has(step))
    if (unknown.length > 0) return `steps: not catalog event types: ${unknown.join(", ")}`
    if (steps.length < 2 || steps.length > MAX_FUNNEL_STEPS) {
      return `steps must list 2 to ${MAX_FUNNEL_STEPS} event types, comma-separated`
    }
    return true
  })
).annotate({ description: `2 to ${MAX_FUNNEL_STEPS} catalog event types, comma-separated, in funnel order` })

export const FunnelStep = Schema.Struct({
  breakdown_value: Schema.String.annotate({ description: "`(all)` without a breakdown; `(none)`: no utm_source" }),
  step_index: Schema.Int,
  step_event_type: Schema.NullOr(Schema.String).annotate({ description: "null in unordered mode" }),
  users: Count,
  conversion_from_previous: Rate,
  conversion_from_first: Rate,
  drop_off_users: Schema.NullOr(Schema.Int),
  median_seconds_from_previous: NullableNumber,
  median_seconds_from_first: NullableNumber
}).annotate({ title: "FunnelStep", description: "a row of fct_funnel, or of the same computation over any steps" })

export const FunnelReport = Schema.Struct({
  ...about,
  source: Schema.Literals(["mart", "query"]).annotate({
    description:
      "mart: fct_funnel as built; query: computed now over stg_events (ad-hoc steps, a date range or a window)"
  }),
  funnel: Schema.NullOr(Schema.String).annotate({ description: "the named funnel, null for ad-hoc steps" }),
  steps: Schema.Array(Schema.String),
  mode: Schema.Literals(FUNNEL_MODES),
  breakdown: Schema.Literals(FUNNEL_BREAKDOWNS),
  window_days: Schema.Int,
  range: Schema.NullOr(ReportRange).annotate({ description: "entries into the funnel on these days; null: all" }),
  rows: Schema.Array(FunnelStep)
}).annotate({ title: "FunnelReport" })
export type FunnelReport = typeof FunnelReport.Type

// --- retention ---------------------------------------------------------------------------------

export const RetentionCell = Schema.Struct({
  cohort_date: Day,
  user_group: Schema.Literals(RETENTION_GROUPS),
  day_number: Schema.Int,
  cohort_size: Count,
  is_observable: Schema.Boolean,
  returned_users: Schema.NullOr(Count),
  return_rate: Rate
}).annotate({ title: "RetentionCell", description: "a row of fct_retention" })

export const RetentionLift = Schema.Struct({
  day_number: Schema.Int,
  cohorts: Count,
  completers: Count,
  completers_returned: Count,
  completer_rate: Rate,
  non_completers: Count,
  non_completers_returned: Count,
  non_completer_rate: Rate,
  ...lift
}).annotate({ title: "RetentionLift", description: "a row of fct_retention_lift (every observable cohort pooled)" })

export const RetentionReport = Schema.Struct({
  ...about,
  range: ReportRange,
  group: Schema.Literals(RETENTION_GROUPS),
  cohorts: Schema.Array(RetentionCell),
  lift: Schema.Array(RetentionLift)
}).annotate({ title: "RetentionReport" })
export type RetentionReport = typeof RetentionReport.Type

// --- experiments -------------------------------------------------------------------------------

export const ExperimentResult = Schema.Struct({
  experiment_key: Schema.String,
  metric: Schema.String,
  variant: Schema.String,
  is_control: Schema.Boolean,
  exposures: Count,
  conversions: Count,
  conversion_rate: Rate,
  control_exposures: Schema.NullOr(Count),
  control_conversions: Schema.NullOr(Count),
  control_rate: Rate,
  ...lift,
  z_score: NullableNumber,
  p_value: NullableNumber,
  chance_to_beat_control: NullableNumber,
  experiment_exposed_users: Count,
  experiment_excluded_users: Count,
  srm_chi_square: NullableNumber,
  srm_p_value: NullableNumber,
  srm_flagged: Schema.NullOr(Schema.Boolean).annotate({ description: "null while the check cannot run" }),
  meets_minimum_exposures: Schema.Boolean
}).annotate({ title: "ExperimentResult", description: "a row of fct_experiment_results" })

export const ExperimentsReport = Schema.Struct({
  ...about,
  experiments: Schema.Array(Schema.String).annotate({ description: "every experiment with exposures" }),
  rows: Schema.Array(ExperimentResult)
}).annotate({ title: "ExperimentsReport" })
export type ExperimentsReport = typeof ExperimentsReport.Type

// --- revenue -----------------------------------------------------------------------------------

export const REVENUE_BREAKDOWNS = ["none", "device_type", "utm_campaign"] as const

export const RevenueRow = Schema.Struct({
  order_date: Day,
  breakdown_value: Schema.String.annotate({ description: "`(all)` without a breakdown" }),
  currency: Schema.String,
  orders: Count,
  revenue: Schema.Number,
  average_order_value: NullableNumber,
  units: Count
}).annotate({ title: "RevenueRow", description: "fct_revenue summed per day, breakdown value and currency" })

export const RevenueTotal = Schema.Struct({
  currency: Schema.String,
  orders: Count,
  revenue: Schema.Number,
  average_order_value: NullableNumber,
  units: Count
}).annotate({ title: "RevenueTotal", description: "the range per currency (currencies are never summed)" })

export const RevenueReport = Schema.Struct({
  ...about,
  range: ReportRange,
  device: DeviceFilter,
  breakdown: Schema.Literals(REVENUE_BREAKDOWNS),
  rows: Schema.Array(RevenueRow),
  totals: Schema.Array(RevenueTotal)
}).annotate({ title: "RevenueReport" })
export type RevenueReport = typeof RevenueReport.Type

// --- segments ----------------------------------------------------------------------------------

export const SegmentsReport = Schema.Struct({
  ...about,
  as_of_date: Schema.NullOr(Day).annotate({ description: "the day the segments are computed for" }),
  segments: Schema.Array(Schema.Struct({ segment: Schema.Literals(SEGMENTS), users: Count })),
  transitions: Schema.Array(
    Schema.Struct({
      from_segment: Schema.NullOr(Schema.Literals(SEGMENTS)).annotate({ description: "null: a user new to the run" }),
      to_segment: Schema.Literals(SEGMENTS),
      users: Count
    })
  ).annotate({ description: "users whose segment changed in the latest model run, by previous and new segment" })
}).annotate({ title: "SegmentsReport" })
export type SegmentsReport = typeof SegmentsReport.Type

// --- attribution -------------------------------------------------------------------------------

export const AttributionRow = Schema.Struct({
  attribution_model: Schema.Literals(ATTRIBUTION_MODELS),
  utm_source: Schema.String,
  utm_campaign: Schema.String,
  currency: Schema.NullOr(Schema.String),
  users: Count,
  converting_users: Count,
  orders: Count,
  revenue: Schema.Number
}).annotate({ title: "AttributionRow", description: "a row of mart_campaign_attribution" })

export const AttributionReport = Schema.Struct({
  ...about,
  model: Schema.Literals(ATTRIBUTION_MODELS),
  rows: Schema.Array(AttributionRow)
}).annotate({ title: "AttributionReport" })
export type AttributionReport = typeof AttributionReport.Type

// --- search ------------------------------------------------------------------------------------

export const SearchDay = Schema.Struct({
  search_date: Day,
  device_type: Schema.String,
  searches: Count,
  searchers: Count,
  searches_without_results: Count,
  searches_with_click: Count,
  clicks: Count,
  searches_with_booking: Count,
  bookings: Count,
  click_through_rate: Rate,
  conversion_rate: Rate,
  click_to_booking_rate: Rate,
  avg_first_click_position: NullableNumber
}).annotate({ title: "SearchDay", description: "a row of fct_search_funnel" })

export const SearchTotals = Schema.Struct({
  searches: Count,
  searches_with_click: Count,
  searches_with_booking: Count,
  click_through_rate: Rate.annotate({ description: "Σ searches_with_click / Σ searches" }),
  conversion_rate: Rate.annotate({ description: "Σ searches_with_booking / Σ searches" })
}).annotate({ title: "SearchTotals" })

export const SearchReport = Schema.Struct({
  ...about,
  range: ReportRange,
  device: DeviceFilter,
  days: Schema.Array(SearchDay),
  totals: SearchTotals
}).annotate({ title: "SearchReport" })
export type SearchReport = typeof SearchReport.Type

// --- the groups --------------------------------------------------------------------------------

export const REPORTS = [
  "engagement",
  "funnel",
  "retention",
  "experiments",
  "revenue",
  "segments",
  "attribution",
  "search"
] as const

const errors = [InvalidQuery, NotBuilt, WarehouseUnavailable]

const summary = (text: string) => OpenApi.annotations({ summary: text })

export class ReportsApi extends HttpApiGroup.make("reports")
  .add(
    HttpApiEndpoint.get("engagement", "/api/v1/reports/engagement", {
      query: { ...dateRange, device: Schema.optional(DeviceFilter) },
      success: EngagementReport,
      error: errors
    }).annotateMerge(
      summary("Daily engagement (DAU, adoption, completion, depth, session duration, share rate) per day and device")
    ),
    HttpApiEndpoint.get("funnel", "/api/v1/reports/funnel", {
      query: {
        funnel: Schema.optional(
          Schema.Literals(MART_FUNNELS.map((f) => f.funnel)).annotate({
            description: "a named funnel (default configurator)"
          })
        ),
        steps: Schema.optional(StepsParam),
        mode: Schema.optional(Schema.Literals(FUNNEL_MODES)),
        breakdown: Schema.optional(Schema.Literals(FUNNEL_BREAKDOWNS)),
        window_days: Schema.optional(DecimalInt("window_days", 1, MAX_FUNNEL_WINDOW_DAYS)),
        ...dateRange
      },
      success: FunnelReport,
      error: errors
    }).annotateMerge(
      summary(
        "A funnel: a named one from fct_funnel, or any ordered steps (`steps=a,b,c`) computed the same way; " +
          "a date range or a window other than 14 days computes the named funnel too"
      )
    ),
    HttpApiEndpoint.get("retention", "/api/v1/reports/retention", {
      query: { ...dateRange, group: Schema.optional(Schema.Literals(RETENTION_GROUPS)) },
      success: RetentionReport,
      error: errors
    }).annotateMerge(
      summary("Cohort retention (D1/D7/D14/D30) by first-seen day, and the retention lift of completers")
    ),
    HttpApiEndpoint.get("experiments", "/api/v1/reports/experiments", {
      query: { experiment: Schema.optional(Schema.String) },
      success: ExperimentsReport,
      error: errors
    }).annotateMerge(summary("Experiment results per variant and metric: lift with 95 % intervals, p-value, SRM")),
    HttpApiEndpoint.get("revenue", "/api/v1/reports/revenue", {
      query: {
        ...dateRange,
        device: Schema.optional(DeviceFilter),
        breakdown: Schema.optional(Schema.Literals(REVENUE_BREAKDOWNS))
      },
      success: RevenueReport,
      error: errors
    }).annotateMerge(summary("Orders, revenue and AOV per day and currency, optionally by device or campaign")),
    HttpApiEndpoint.get("segments", "/api/v1/reports/segments", {
      success: SegmentsReport,
      error: errors
    }).annotateMerge(summary("Users per segment (new, casual, power, dormant) and the transitions of the last run")),
    HttpApiEndpoint.get("attribution", "/api/v1/reports/attribution", {
      query: { model: Schema.optional(Schema.Literals(ATTRIBUTION_MODELS)) },
      success: AttributionReport,
      error: errors
    }).annotateMerge(summary("First- or last-touch campaign attribution: users, converting users, orders, revenue")),
    HttpApiEndpoint.get("search", "/api/v1/reports/search", {
      query: { ...dateRange, device: Schema.optional(DeviceFilter) },
      success: SearchReport,
      error: errors
    }).annotateMerge(summary("The search funnel per day: searches, click-through and booking conversion")),
    HttpApiEndpoint.get("unknown", "/api/v1/reports/:report", {
      params: { report: Schema.String },
      error: InvalidQuery
    }).annotateMerge(summary(`Any other report name: 400 naming the parameter (reports: ${REPORTS.join(", ")})`))
  )
  .annotateMerge(
    OpenApi.annotations({
      title: "Reports",
      description:
        "What the marts say: one endpoint per report, bound parameters only. Definitions: GET /api/v1/models."
    })
  ) {}

export const EXPORT_FORMATS = ["csv", "parquet"] as const
export type ExportFormat = (typeof EXPORT_FORMATS)[number]

export class ExportApi extends HttpApiGroup.make("export")
  .add(
    HttpApiEndpoint.get("mart", "/api/v1/export/:file", {
      params: {
        file: Schema.String.annotate({ description: "`<mart>.csv` or `<mart>.parquet`, e.g. `fct_funnel.csv`" })
      },
      success: HttpApiSchema.StreamUint8Array({ contentType: ["text/csv", "application/vnd.apache.parquet"] }),
      error: errors
    }).annotateMerge(summary("Every row of a mart as CSV (with a header) or Parquet, streamed"))
  )
  .annotateMerge(OpenApi.annotations({ title: "Export", description: "Marts as files" })) {}
