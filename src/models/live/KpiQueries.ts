/**
 * Reads behind the KPI endpoints and the live feed, all from the `kpi_minute` view (partitions
 * summed, see KpiStore). Each row leaves DuckDB as one JSON document and is decoded with a Schema,
 * so BIGINTs, maps and lists arrive as plain numbers and records without per-column conversions.
 */
import { Context, Effect, Layer, Schema } from "effect"
import { SqlClient, type SqlError } from "effect/sql"
import { CONFIGURATOR_FUNNEL } from "../../domain/Funnels.ts"
import {
  KPI_MEASURE_NAMES,
  KPI_MEASURES,
  type KpiMeasureName,
  type Measure,
  measureApiField,
  measureColumn,
  type WindowMeasures,
  WindowMeasuresSchema
} from "../../domain/KpiMeasures.ts"
import { WINDOW_MS, windowStartOf } from "../../domain/KpiMinute.ts"
import type { Funnel, HistogramView, KpiMinute, KpisLatest, KpisRange } from "../api/Kpis.ts"
import { closedThroughSql, ensureKpiTables } from "./KpiStore.ts"

const Count = Schema.Number
const Counts = Schema.Record(Schema.String, Schema.Number)

/** A `kpi_minute` row as `to_json` renders it: the measures under their `KPI_MEASURES` keys. */
const MinuteRow = Schema.Struct({
  minute_ms: Schema.Number,
  closed: Schema.Boolean,
  partitions_total: Count,
  partitions_reporting: Count,
  measures: WindowMeasuresSchema,
  updated_at_ms: Schema.Number
})
type MinuteRow = typeof MinuteRow.Type

const decodeMinuteRow = Schema.decodeUnknownEffect(Schema.fromJsonString(MinuteRow))

const selectMinutes = `SELECT to_json({
    minute_ms: epoch_ms(minute), closed: closed, partitions_total: partitions_total,
    partitions_reporting: partitions_reporting,
    measures: {${KPI_MEASURE_NAMES.map((key) => `${key}: ${measureColumn(key)}`).join(", ")}},
    updated_at_ms: epoch_ms(updated_at)
  })::VARCHAR AS row FROM kpi_minute`

const iso = (ms: number) => new Date(ms).toISOString()

/** Upper bound of the bucket holding quantile `q`; null when empty or in the overflow bucket. */
export const bucketQuantile = (
  bounds: ReadonlyArray<number>,
  counts: ReadonlyArray<number>,
  q: number
): number | null => {
  const total = counts.reduce((a, b) => a + b, 0)
  if (total === 0) return null
  const rank = Math.ceil(q * total)
  let seen = 0
  for (let i = 0; i < counts.length; i++) {
    seen += counts[i] ?? 0
    if (seen >= rank) return bounds[i] ?? null
  }
  return null
}

/** One measure as the API shows it (KPI_MEASURES decides how). */
const present = (measure: Measure, value: WindowMeasures[KpiMeasureName]): unknown => {
  switch (measure.kind) {
    case "keyed": {
      const scale = measure.apiScale
      const counts = value as Readonly<Record<string, number>>
      // Stored in integer units (revenue in thousandths) so that sums are exact.
      return scale === undefined
        ? counts
        : Object.fromEntries(Object.entries(counts).map(([key, amount]) => [key, amount / scale]))
    }
    case "histogram": {
      const counts = value as ReadonlyArray<number>
      return {
        bounds_ms: measure.bounds,
        counts,
        p50_ms: bucketQuantile(measure.bounds, counts, 0.5),
        p95_ms: bucketQuantile(measure.bounds, counts, 0.95),
        p99_ms: bucketQuantile(measure.bounds, counts, 0.99)
      } satisfies HistogramView
    }
    default:
      return value
  }
}

const toKpiMinute = (row: MinuteRow): KpiMinute =>
  ({
    minute: iso(row.minute_ms),
    closed: row.closed,
    partitions_total: row.partitions_total,
    partitions_reporting: row.partitions_reporting,
    ...Object.fromEntries(
      KPI_MEASURE_NAMES.map((key) => [measureApiField(key), present(KPI_MEASURES[key], row.measures[key])])
    ),
    updated_at: iso(row.updated_at_ms)
  }) as KpiMinute

const rate = (n: number, d: number): number | null => (d === 0 ? null : n / d)

/** The minutes `[from, to]` covered by `minutesBack`, ending with the current minute. */
export const minuteRange = (minutesBack: number, nowMs: number) => {
  const to = windowStartOf(nowMs)
  return { from: to - (minutesBack - 1) * WINDOW_MS, to }
}

const STEP_ORDER: ReadonlyArray<string> = CONFIGURATOR_FUNNEL.map((s) => s.step)
const [FIRST_STEP = "started"] = STEP_ORDER
const COMPLETED_STEP = "completed"

/**
 * Funnel math over the summed `funnel_steps` (users per minute at each stage or beyond, see
 * KpiMeasures.ts): stages in funnel order, starts = the first stage, completions = `completed`. A stage
 * never counts more than the one before it, so every rate is at most 1.
 */
export const funnelOf = (steps: Readonly<Record<string, number>>): Omit<Funnel, "from" | "to"> => {
  const starts = steps[FIRST_STEP] ?? 0
  const completions = steps[COMPLETED_STEP] ?? 0
  let previous = starts
  return {
    starts,
    steps: STEP_ORDER.map((step) => {
      const count = steps[step] ?? 0
      const entry = { step, count, rate_from_start: rate(count, starts), rate_from_previous: rate(count, previous) }
      previous = count
      return entry
    }),
    completions,
    conversion_rate: rate(completions, starts)
  }
}

const FunnelRow = Schema.Struct({ steps: Counts })
const decodeFunnelRow = Schema.decodeUnknownEffect(Schema.fromJsonString(FunnelRow))

const FreshnessRow = Schema.Struct({
  last_update_ms: Schema.NullOr(Schema.Number),
  closed_through_ms: Schema.NullOr(Schema.Number)
})
const decodeFreshnessRow = Schema.decodeUnknownEffect(Schema.fromJsonString(FreshnessRow))

export interface KpiQueriesShape {
  readonly latest: (nowMs: number) => Effect.Effect<KpisLatest, SqlError.SqlError | Schema.SchemaError>
  readonly range: (
    minutesBack: number,
    nowMs: number
  ) => Effect.Effect<KpisRange, SqlError.SqlError | Schema.SchemaError>
  readonly funnel: (minutesBack: number, nowMs: number) => Effect.Effect<Funnel, SqlError.SqlError | Schema.SchemaError>
  /** The merged rows of the given minutes (epoch ms), oldest first; minutes without rows are absent. */
  readonly minutes: (
    minutes: ReadonlyArray<number>
  ) => Effect.Effect<ReadonlyArray<KpiMinute>, SqlError.SqlError | Schema.SchemaError>
}

const rowsOf = (rows: ReadonlyArray<{ readonly row: string }>) =>
  Effect.forEach(rows, (row) => Effect.map(decodeMinuteRow(row.row), toKpiMinute))

const make = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* ensureKpiTables()
  const query = (text: string, params: ReadonlyArray<unknown> = []) =>
    sql.unsafe<{ readonly row: string }>(text, params)

  const minutes = Effect.fn("KpiQueries.minutes")(function* (wanted: ReadonlyArray<number>) {
    if (wanted.length === 0) return []
    const rows = yield* query(
      `${selectMinutes} WHERE epoch_ms(minute) IN (SELECT unnest($1::BIGINT[])) ORDER BY minute`,
      [JSON.stringify(wanted)]
    )
    return yield* rowsOf(rows)
  })

  const latest = Effect.fn("KpiQueries.latest")(function* (nowMs: number) {
    const rows = yield* query(`${selectMinutes} ORDER BY minute DESC LIMIT 1`)
    const [kpis] = yield* rowsOf(rows)
    const [freshness] = yield* query(
      `SELECT to_json({
        last_update_ms: (SELECT epoch_ms(max(updated_at)) FROM (
          SELECT max(updated_at) AS updated_at FROM kpi_minute_sum
          UNION ALL SELECT max(updated_at) FROM kpi_partition_progress)),
        closed_through_ms: (${closedThroughSql})
      })::VARCHAR AS row`
    )
    const fresh = yield* decodeFreshnessRow(freshness?.row)
    // Minute m is final once every partition's watermark reached its end, m + 1 min.
    const latestClosed = fresh.closed_through_ms === null ? null : windowStartOf(fresh.closed_through_ms) - WINDOW_MS
    return {
      kpis: kpis ?? null,
      freshness: {
        as_of: iso(nowMs),
        last_update_at: fresh.last_update_ms === null ? null : iso(fresh.last_update_ms),
        seconds_since_update: fresh.last_update_ms === null ? null : (nowMs - fresh.last_update_ms) / 1000,
        latest_closed_minute: latestClosed === null ? null : iso(latestClosed)
      }
    }
  })

  const range = Effect.fn("KpiQueries.range")(function* (minutesBack: number, nowMs: number) {
    const { from, to } = minuteRange(minutesBack, nowMs)
    const rows = yield* query(
      `${selectMinutes} WHERE minute BETWEEN make_timestamptz($1::BIGINT * 1000) AND make_timestamptz($2::BIGINT * 1000)
        ORDER BY minute`,
      [from, to]
    )
    return { from: iso(from), to: iso(to), minutes: yield* rowsOf(rows) }
  })

  const funnel = Effect.fn("KpiQueries.funnel")(function* (minutesBack: number, nowMs: number) {
    const { from, to } = minuteRange(minutesBack, nowMs)
    const [row] = yield* query(
      `WITH scope AS (
        SELECT * FROM kpi_minute_sum
        WHERE minute BETWEEN make_timestamptz($1::BIGINT * 1000) AND make_timestamptz($2::BIGINT * 1000)
      ),
      steps AS (
        SELECT e.key AS k, sum(e.value)::BIGINT AS v FROM scope, unnest(map_entries(funnel_steps)) AS u(e) GROUP BY 1
      )
      SELECT to_json({
        steps: (SELECT coalesce(map_from_entries(list({'key': k, 'value': v})), MAP{}::MAP(VARCHAR, BIGINT)) FROM steps)
      })::VARCHAR AS row`,
      [from, to]
    )
    const totals = yield* decodeFunnelRow(row?.row)
    return {
      from: iso(from),
      to: iso(to),
      ...funnelOf(totals.steps)
    }
  })

  return KpiQueries.of({ latest, range, funnel, minutes })
})

export class KpiQueries extends Context.Service<KpiQueries, KpiQueriesShape>()("launchpad/models/KpiQueries") {
  /** Creates the KPI tables and view first, so everything that reads or writes them runs after. */
  static readonly layer = Layer.effect(KpiQueries, make)
}
