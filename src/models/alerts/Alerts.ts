/**
 * The anomalies behind `GET /api/v1/alerts`: the closed minutes of the `kpi_minute` view (partitions
 * summed) over the judged range and its trailing hour, judged by the rule in Anomalies.ts.
 */
import { Context, Effect, Layer, Schema } from "effect"
import { SqlClient, type SqlError } from "effect/sql"
import { measureColumn } from "../../domain/KpiMeasures.ts"
import { WINDOW_MS } from "../../domain/KpiMinute.ts"
import { ALERT_RULE_TEXT, type AlertsReport } from "../api/Alerts.ts"
import { minuteRange } from "../live/KpiQueries.ts"
import { ANOMALY_MEASURES, ANOMALY_RULE, detectAnomalies, type MinuteValues } from "./Anomalies.ts"

const Rows = Schema.fromJsonString(
  Schema.Struct({
    first_minute_ms: Schema.NullOr(Schema.Number),
    minutes: Schema.Array(
      Schema.Struct({ minute_ms: Schema.Number, values: Schema.Record(Schema.String, Schema.Number) })
    )
  })
)
const decodeRows = Schema.decodeUnknownEffect(Rows)

const measureFields = ANOMALY_MEASURES.map((m) => `${m.name}: ${measureColumn(m.key)}`).join(", ")

// `closed` is the view's: every partition's watermark passed the minute's end (KpiStore.ts).
const selectClosed = `SELECT to_json({
    first_minute_ms: (SELECT epoch_ms(min(minute)) FROM kpi_minute_sum),
    minutes: (SELECT coalesce(list({minute_ms: epoch_ms(minute), values: {${measureFields}}} ORDER BY minute), [])
      FROM kpi_minute
      WHERE closed AND minute BETWEEN make_timestamptz($1::BIGINT * 1000) AND make_timestamptz($2::BIGINT * 1000))
  })::VARCHAR AS row`

const iso = (ms: number) => new Date(ms).toISOString()

export interface AlertsShape {
  /** The anomalies among the closed minutes of the last `minutesBack` minutes up to `nowMs`. */
  readonly recent: (
    minutesBack: number,
    nowMs: number
  ) => Effect.Effect<AlertsReport, SqlError.SqlError | Schema.SchemaError>
}

export class Alerts extends Context.Service<Alerts, AlertsShape>()("launchpad/models/Alerts") {
  /** Needs the KPI tables (KpiQueries.layer creates them). */
  static readonly layer = Layer.effect(
    Alerts,
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const recent = Effect.fn("Alerts.recent")(function* (minutesBack: number, nowMs: number) {
        const { from, to } = minuteRange(minutesBack, nowMs)
        const [row] = yield* sql.unsafe<{ readonly row: string }>(selectClosed, [
          from - ANOMALY_RULE.baselineMinutes * WINDOW_MS,
          to
        ])
        const read = yield* decodeRows(row?.row)
        const minutes = new Map<number, MinuteValues>()
        for (const minute of read.minutes) {
          const values = Object.fromEntries(ANOMALY_MEASURES.map((m) => [m.name, minute.values[m.name] ?? 0]))
          minutes.set(minute.minute_ms, values as MinuteValues)
        }
        const anomalies = detectAnomalies({ minutes, firstMinuteMs: read.first_minute_ms, fromMs: from, toMs: to })
        return {
          as_of: iso(nowMs),
          from: iso(from),
          to: iso(to),
          rule: ALERT_RULE_TEXT,
          z_threshold: ANOMALY_RULE.zThreshold,
          alerts: anomalies.map((a) => ({
            minute: iso(a.minuteMs),
            measure: a.measure,
            value: a.value,
            mean: a.mean,
            stddev: a.stddev,
            z: a.z,
            baseline_minutes: a.baselineMinutes
          }))
        }
      })
      return Alerts.of({ recent })
    })
  )
}
