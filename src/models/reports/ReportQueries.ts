/**
 * The reads behind `/api/v1/reports/…`: fixed SQL over the marts with every client value bound as a
 * parameter. Each row leaves DuckDB as one JSON document (`to_json`, so dates arrive as `YYYY-MM-DD` and
 * big integers as numbers) and is decoded with the API's row Schema, whose fields are also the select
 * list: the contract names the columns once.
 *
 * Date ranges: `from` and `to` are inclusive UTC days. Both absent: the 30 days up to the latest day
 * the mart has (today while it is empty). One absent: 30 days from `from`, or up to `to`.
 */
import { Clock, Context, Effect, Layer, Schema } from "effect"
import { SqlClient, type SqlError } from "effect/sql"
import type { EventType } from "../../domain/Catalog.ts"
import {
  DEFAULT_FUNNEL_MODE,
  FUNNEL_WINDOW_MS,
  type FunnelBreakdown,
  type FunnelMode,
  MART_FUNNELS
} from "../../domain/Funnels.ts"
import {
  ALL_DEVICES,
  type AttributionModel,
  type RetentionGroup,
  SEGMENTS,
  type Segment
} from "../../domain/Metrics.ts"
import {
  type AttributionReport,
  AttributionRow,
  DEFAULT_RANGE_DAYS,
  EngagementDay,
  type EngagementReport,
  EngagementTotals,
  ExperimentResult,
  type ExperimentsReport,
  type FunnelReport,
  FunnelStep,
  MAX_RANGE_DAYS,
  type REVENUE_BREAKDOWNS,
  RetentionCell,
  RetentionLift,
  type RetentionReport,
  type RevenueReport,
  RevenueRow,
  RevenueTotal,
  SearchDay,
  type SearchReport,
  SearchTotals,
  type SegmentsReport
} from "../api/Reports.ts"
import { runFunnel } from "../query/FunnelQuery.ts"

const DAY_MS = 86_400_000

/** A parameter the report cannot answer for; `parameter` names it. */
export class ReportParameterError extends Schema.TaggedError<ReportParameterError>()("ReportParameterError", {
  parameter: Schema.String,
  message: Schema.String
}) {}

/** The model behind the report has never been built. */
export class MartNotBuilt extends Schema.TaggedError<MartNotBuilt>()("MartNotBuilt", { model: Schema.String }) {}

/** Rows from the warehouse did not have the shape the contract says: a mart and the API disagree. */
export class ReportShapeError extends Schema.TaggedError<ReportShapeError>()("ReportShapeError", {
  report: Schema.String,
  message: Schema.String
}) {}

export type ReportError = ReportParameterError | MartNotBuilt | ReportShapeError | SqlError.SqlError

export interface RangeQuery {
  readonly from?: string | undefined
  readonly to?: string | undefined
}

type Device = typeof ALL_DEVICES | "desktop" | "mobile" | "tablet"

export interface ReportQueriesShape {
  readonly engagement: (
    query: RangeQuery & { readonly device?: Device | undefined }
  ) => Effect.Effect<EngagementReport, ReportError>
  readonly funnel: (
    query: RangeQuery & {
      readonly funnel?: string | undefined
      readonly steps?: string | undefined
      readonly mode?: FunnelMode | undefined
      readonly breakdown?: FunnelBreakdown | undefined
      readonly window_days?: number | undefined
    }
  ) => Effect.Effect<FunnelReport, ReportError>
  readonly retention: (
    query: RangeQuery & { readonly group?: RetentionGroup | undefined }
  ) => Effect.Effect<RetentionReport, ReportError>
  readonly experiments: (query: {
    readonly experiment?: string | undefined
  }) => Effect.Effect<ExperimentsReport, ReportError>
  readonly revenue: (
    query: RangeQuery & {
      readonly device?: Device | undefined
      readonly breakdown?: (typeof REVENUE_BREAKDOWNS)[number] | undefined
    }
  ) => Effect.Effect<RevenueReport, ReportError>
  readonly segments: Effect.Effect<SegmentsReport, ReportError>
  readonly attribution: (query: {
    readonly model?: AttributionModel | undefined
  }) => Effect.Effect<AttributionReport, ReportError>
  readonly search: (
    query: RangeQuery & { readonly device?: Device | undefined }
  ) => Effect.Effect<SearchReport, ReportError>
}

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10)
const dayMs = (text: string) => Date.parse(`${text}T00:00:00Z`)

/** `SELECT to_json(...)` of the row schema's fields, each read from the column of the same name. */
const jsonOf = (schema: Schema.Struct<Schema.Struct.Fields>, expressions: Readonly<Record<string, string>> = {}) =>
  `to_json({${Object.keys(schema.fields)
    .map((field) => `${field}: ${expressions[field] ?? `"${field}"`}`)
    .join(", ")}})::VARCHAR`

const ratio = (numerator: string, denominator: string) => `sum(${numerator}) / nullif(sum(${denominator}), 0)`

const make = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient

  /** Rows of `SELECT <json> AS row …` decoded with `schema`. */
  const rows = <S extends Schema.Top & { readonly DecodingServices: never }>(
    report: string,
    schema: S,
    statement: string,
    params: ReadonlyArray<unknown>
  ) =>
    sql.unsafe<{ readonly row: string }>(statement, params).pipe(
      Effect.flatMap((found) =>
        Schema.decodeUnknownEffect(Schema.Array(Schema.fromJsonString(schema)))(found.map((r) => r.row))
      ),
      Effect.mapError((error) =>
        Schema.isSchemaError(error) ? new ReportShapeError({ report, message: error.message }) : error
      )
    )

  /** Fails with MartNotBuilt unless `model` exists; its last successful build time otherwise. */
  const builtAt = Effect.fn("ReportQueries.builtAt")(function* (model: string) {
    const [found] = yield* sql<{ readonly present: number; readonly built_at: string | null }>`
      SELECT
        (SELECT count(*) FROM information_schema.tables WHERE table_schema = 'main' AND table_name = ${model})::INTEGER AS present,
        (SELECT strftime(max(finished_at) AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S.%gZ')
           FROM _launchpad_model_run_results WHERE model = ${model} AND status = 'success') AS built_at`
    if (found === undefined || found.present === 0) return yield* new MartNotBuilt({ model })
    return found.built_at
  })

  /** The inclusive day range of a report over `model.dateColumn`, defaults applied and checked. */
  const rangeOf = Effect.fn("ReportQueries.range")(function* (model: string, dateColumn: string, query: RangeQuery) {
    if (query.from !== undefined && query.to !== undefined && query.from > query.to) {
      return yield* new ReportParameterError({
        parameter: "to",
        message: `to (${query.to}) is before from (${query.from})`
      })
    }
    let to = query.to
    if (to === undefined) {
      if (query.from !== undefined) {
        to = day(dayMs(query.from) + (DEFAULT_RANGE_DAYS - 1) * DAY_MS)
      } else {
        const [latest] = yield* sql.unsafe<{ readonly latest: string | null }>(
          `SELECT max("${dateColumn}")::VARCHAR AS latest FROM "${model}"`
        )
        to = latest?.latest ?? day(yield* Clock.currentTimeMillis)
      }
    }
    const from = query.from ?? day(dayMs(to) - (DEFAULT_RANGE_DAYS - 1) * DAY_MS)
    const days = (dayMs(to) - dayMs(from)) / DAY_MS + 1
    if (days > MAX_RANGE_DAYS) {
      return yield* new ReportParameterError({
        parameter: "from",
        message: `the range ${from} … ${to} spans ${days} days; at most ${MAX_RANGE_DAYS}`
      })
    }
    return { from, to }
  })

  /**
   * A daily mart read for one device over a day range: its rows in day order and one totals row of
   * `totals` (aggregate expressions over the same rows); the shape of the engagement and search reports.
   */
  const dailyWithTotals = <
    Day extends Schema.Struct<Schema.Struct.Fields> & { readonly DecodingServices: never },
    Totals extends Schema.Struct<Schema.Struct.Fields> & { readonly DecodingServices: never }
  >(
    report: string,
    spec: {
      readonly model: string
      readonly dateColumn: string
      readonly day: Day
      readonly totals: Totals
      readonly expressions: Readonly<Record<keyof Totals["fields"], string>>
    },
    query: RangeQuery & { readonly device?: Device | undefined }
  ) =>
    Effect.gen(function* () {
      const built_at = yield* builtAt(spec.model)
      const range = yield* rangeOf(spec.model, spec.dateColumn, query)
      const device = query.device ?? ALL_DEVICES
      const where = `FROM "${spec.model}" WHERE device_type = $1 AND ${spec.dateColumn} BETWEEN $2::DATE AND $3::DATE`
      const params = [device, range.from, range.to]
      const days = yield* rows(
        report,
        spec.day,
        `SELECT ${jsonOf(spec.day)} AS row ${where} ORDER BY ${spec.dateColumn}`,
        params
      )
      const [totals] = yield* rows(
        report,
        spec.totals,
        `SELECT ${jsonOf(spec.totals, spec.expressions)} AS row ${where}`,
        params
      )
      return { built_at, range, device, days, totals }
    }).pipe(Effect.withSpan("ReportQueries.dailyWithTotals"))

  const engagement: ReportQueriesShape["engagement"] = Effect.fn("ReportQueries.engagement")(function* (query) {
    const found = yield* dailyWithTotals(
      "engagement",
      {
        model: "fct_daily_engagement",
        dateColumn: "event_date",
        day: EngagementDay,
        totals: EngagementTotals,
        expressions: {
          days: "count(*)",
          average_dau: "avg(dau)",
          events: "coalesce(sum(events), 0)::BIGINT",
          starters: "coalesce(sum(starters), 0)::BIGINT",
          adoption_rate: ratio("starters", "dau"),
          completion_rate: ratio("completed_within_24h", "starters"),
          interactions_per_starter: ratio("configurator_interactions", "starters"),
          events_per_session: ratio("session_events", "sessions"),
          avg_session_duration_s: ratio("avg_session_duration_s * sessions", "sessions"),
          share_rate: ratio("sharers", "completers")
        }
      },
      query
    )
    return { ...found, totals: found.totals ?? emptyEngagementTotals }
  })

  const funnel: ReportQueriesShape["funnel"] = Effect.fn("ReportQueries.funnel")(function* (query) {
    if (query.steps !== undefined && query.funnel !== undefined) {
      return yield* new ReportParameterError({ parameter: "steps", message: "give steps or funnel, not both" })
    }
    const named = query.steps === undefined ? (query.funnel ?? MART_FUNNELS[0]?.funnel ?? "configurator") : undefined
    const definition = MART_FUNNELS.find((f) => f.funnel === named)
    if (named !== undefined && definition === undefined) {
      return yield* new ReportParameterError({ parameter: "funnel", message: `no funnel named ${named}` })
    }
    const steps: ReadonlyArray<string> =
      definition?.steps.map((s) => s.eventType) ?? (query.steps === undefined ? [] : query.steps.split(","))
    const mode = query.mode ?? DEFAULT_FUNNEL_MODE
    const breakdown = query.breakdown ?? "none"
    const windowMs = query.window_days === undefined ? FUNNEL_WINDOW_MS : query.window_days * DAY_MS
    const ranged = query.from !== undefined || query.to !== undefined
    const base = {
      funnel: named ?? null,
      steps,
      mode,
      breakdown,
      window_days: Math.round(windowMs / DAY_MS)
    }
    if (definition !== undefined && !ranged && windowMs === FUNNEL_WINDOW_MS) {
      const built_at = yield* builtAt("fct_funnel")
      const found = yield* rows(
        "funnel",
        FunnelStep,
        `SELECT ${jsonOf(FunnelStep)} AS row FROM "fct_funnel"
         WHERE funnel = $1 AND mode = $2 AND breakdown = $3 ORDER BY breakdown_value, step_index`,
        [definition.funnel, mode, breakdown]
      )
      return { built_at, source: "mart" as const, ...base, range: null, rows: found }
    }
    const built_at = yield* builtAt("stg_events")
    const range = ranged ? yield* rangeOf("stg_events", "event_date", query) : null
    const found = yield* runFunnel({
      steps: steps as ReadonlyArray<EventType>,
      mode,
      breakdown,
      windowMs,
      ...(range === null ? {} : { from: new Date(dayMs(range.from)), to: new Date(dayMs(range.to) + DAY_MS) })
    }).pipe(
      Effect.provideService(SqlClient.SqlClient, sql),
      Effect.catchTag("FunnelQueryError", (error) =>
        Effect.fail(new ReportParameterError({ parameter: error.parameter, message: error.message }))
      )
    )
    const decoded = yield* Schema.decodeUnknownEffect(Schema.Array(FunnelStep))(found).pipe(
      Effect.mapError((error) => new ReportShapeError({ report: "funnel", message: error.message }))
    )
    return { built_at, source: "query" as const, ...base, range, rows: decoded }
  })

  const retention: ReportQueriesShape["retention"] = Effect.fn("ReportQueries.retention")(function* (query) {
    const built_at = yield* builtAt("fct_retention")
    yield* builtAt("fct_retention_lift")
    const range = yield* rangeOf("fct_retention", "cohort_date", query)
    const group = query.group ?? "all"
    const cohorts = yield* rows(
      "retention",
      RetentionCell,
      `SELECT ${jsonOf(RetentionCell)} AS row FROM "fct_retention"
       WHERE user_group = $1 AND cohort_date BETWEEN $2::DATE AND $3::DATE ORDER BY cohort_date, day_number`,
      [group, range.from, range.to]
    )
    const lift = yield* rows(
      "retention",
      RetentionLift,
      `SELECT ${jsonOf(RetentionLift)} AS row FROM "fct_retention_lift" ORDER BY day_number`,
      []
    )
    return { built_at, range, group, cohorts, lift }
  })

  const experiments: ReportQueriesShape["experiments"] = Effect.fn("ReportQueries.experiments")(function* (query) {
    const model = "fct_experiment_results"
    const built_at = yield* builtAt(model)
    const keys = yield* sql<{ readonly experiment_key: string }>`
      SELECT DISTINCT experiment_key FROM fct_experiment_results ORDER BY experiment_key`
    const known = keys.map((k) => k.experiment_key)
    if (query.experiment !== undefined && !known.includes(query.experiment)) {
      return yield* new ReportParameterError({
        parameter: "experiment",
        message: `no experiment ${query.experiment} has exposures (experiments: ${known.join(", ") || "none yet"})`
      })
    }
    const found = yield* rows(
      "experiments",
      ExperimentResult,
      `SELECT ${jsonOf(ExperimentResult)} AS row FROM "${model}"
       WHERE $1::VARCHAR IS NULL OR experiment_key = $1 ORDER BY experiment_key, metric, NOT is_control, variant`,
      [query.experiment ?? null]
    )
    return { built_at, experiments: known, rows: found }
  })

  const revenue: ReportQueriesShape["revenue"] = Effect.fn("ReportQueries.revenue")(function* (query) {
    const model = "fct_revenue"
    const built_at = yield* builtAt(model)
    const range = yield* rangeOf(model, "order_date", query)
    const device = query.device ?? ALL_DEVICES
    const breakdown = query.breakdown ?? "none"
    // The breakdown column comes from this fixed map, never from the client's text.
    const bucket = { none: "'(all)'", device_type: "device_type", utm_campaign: "utm_campaign" }[breakdown]
    const where = `FROM "${model}" WHERE ($1 = '${ALL_DEVICES}' OR device_type = $1) AND order_date BETWEEN $2::DATE AND $3::DATE`
    const params = [device, range.from, range.to]
    const sums = {
      orders: "sum(orders)::BIGINT",
      revenue: "sum(revenue)",
      average_order_value: ratio("revenue", "orders"),
      units: "sum(units)::BIGINT"
    }
    const byDay = yield* rows(
      "revenue",
      RevenueRow,
      `SELECT ${jsonOf(RevenueRow, { ...sums, order_date: "order_date", breakdown_value: "bucket" })} AS row
       FROM (SELECT *, ${bucket} AS bucket ${where})
       GROUP BY order_date, bucket, currency ORDER BY order_date, bucket, currency`,
      params
    )
    const totals = yield* rows(
      "revenue",
      RevenueTotal,
      `SELECT ${jsonOf(RevenueTotal, sums)} AS row ${where} GROUP BY currency ORDER BY currency`,
      params
    )
    return { built_at, range, device, breakdown, rows: byDay, totals }
  })

  const segments: ReportQueriesShape["segments"] = Effect.gen(function* () {
    const model = "mart_user_segments"
    const built_at = yield* builtAt(model)
    const counts = yield* sql<{
      readonly segment: Segment
      readonly users: number
      readonly as_of_date: string | null
    }>`
      SELECT segment, count(*)::INTEGER AS users, max(as_of_date)::VARCHAR AS as_of_date
      FROM mart_user_segments GROUP BY segment`
    const transitions = yield* sql<{
      readonly from_segment: Segment | null
      readonly to_segment: Segment
      readonly users: number
    }>`
      SELECT previous_run_segment AS from_segment, segment AS to_segment, count(*)::INTEGER AS users
      FROM mart_user_segments WHERE changed_in_last_run
      GROUP BY ALL ORDER BY users DESC, from_segment NULLS FIRST, to_segment`
    const as_of_date = counts.reduce<string | null>(
      (latest, row) =>
        row.as_of_date !== null && (latest === null || row.as_of_date > latest) ? row.as_of_date : latest,
      null
    )
    return {
      built_at,
      as_of_date,
      segments: SEGMENTS.map((segment) => ({
        segment,
        users: counts.find((row) => row.segment === segment)?.users ?? 0
      })),
      transitions: transitions.map((t) => ({ ...t }))
    }
  }).pipe(Effect.withSpan("ReportQueries.segments"))

  const attribution: ReportQueriesShape["attribution"] = Effect.fn("ReportQueries.attribution")(function* (query) {
    const model = "mart_campaign_attribution"
    const built_at = yield* builtAt(model)
    const attributionModel = query.model ?? "first_touch"
    const found = yield* rows(
      "attribution",
      AttributionRow,
      `SELECT ${jsonOf(AttributionRow)} AS row FROM "${model}" WHERE attribution_model = $1
       ORDER BY revenue DESC, users DESC, utm_source, utm_campaign, currency`,
      [attributionModel]
    )
    return { built_at, model: attributionModel, rows: found }
  })

  const search: ReportQueriesShape["search"] = Effect.fn("ReportQueries.search")(function* (query) {
    const found = yield* dailyWithTotals(
      "search",
      {
        model: "fct_search_funnel",
        dateColumn: "search_date",
        day: SearchDay,
        totals: SearchTotals,
        expressions: {
          searches: "coalesce(sum(searches), 0)::BIGINT",
          searches_with_click: "coalesce(sum(searches_with_click), 0)::BIGINT",
          searches_with_booking: "coalesce(sum(searches_with_booking), 0)::BIGINT",
          click_through_rate: ratio("searches_with_click", "searches"),
          conversion_rate: ratio("searches_with_booking", "searches")
        }
      },
      query
    )
    return {
      ...found,
      totals: found.totals ?? {
        searches: 0,
        searches_with_click: 0,
        searches_with_booking: 0,
        click_through_rate: null,
        conversion_rate: null
      }
    }
  })

  return {
    engagement,
    funnel,
    retention,
    experiments,
    revenue,
    segments,
    attribution,
    search
  } satisfies ReportQueriesShape
})

const emptyEngagementTotals: typeof EngagementTotals.Type = {
  days: 0,
  average_dau: null,
  events: 0,
  starters: 0,
  adoption_rate: null,
  completion_rate: null,
  interactions_per_starter: null,
  events_per_session: null,
  avg_session_duration_s: null,
  share_rate: null
}

export class ReportQueries extends Context.Service<ReportQueries, ReportQueriesShape>()(
  "launchpad/models/ReportQueries"
) {
  /** Needs the warehouse's `SqlClient`. */
  static readonly layer = Layer.effect(ReportQueries, make)
}
