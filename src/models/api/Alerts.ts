/**
 * `GET /api/v1/alerts`: the closed minutes whose live KPIs are anomalous against their trailing hour
 * (the rule, exactly: models/alerts/Anomalies.ts).
 */
import { Schema } from "effect"
import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "effect/http-api"
import { ANOMALY_MEASURES, ANOMALY_RULE } from "../alerts/Anomalies.ts"
import { MinutesBack } from "./Kpis.ts"
import { WarehouseUnavailable } from "./WarehouseErrors.ts"

export const ALERT_RULE_TEXT =
  `a closed minute whose ${ANOMALY_MEASURES.map((m) => m.name).join(" or ")} has a z-score above ` +
  `${ANOMALY_RULE.zThreshold} against the trailing ${ANOMALY_RULE.baselineMinutes} minutes (minutes without ` +
  `events count as 0; at least ${ANOMALY_RULE.minBaselineMinutes} minutes of history; sample standard deviation ` +
  `floored at ${ANOMALY_RULE.stddevFloor})`

export const AnomalyAlert = Schema.Struct({
  minute: Schema.String.annotate({ description: "start of the anomalous minute (ISO 8601, UTC); a closed minute" }),
  measure: Schema.Literals(ANOMALY_MEASURES.map((m) => m.name)).annotate({
    description: "events: events in the minute; distinct_users: distinct users in the minute"
  }),
  value: Schema.Number.annotate({ description: "the minute's value" }),
  mean: Schema.Number.annotate({ description: "mean of the trailing minutes" }),
  stddev: Schema.Number.annotate({ description: "sample standard deviation of the trailing minutes" }),
  z: Schema.Number.annotate({ description: "(value − mean) / max(stddev, 1)" }),
  baseline_minutes: Schema.Int.annotate({ description: "trailing minutes the mean and deviation are over" })
}).annotate({ title: "AnomalyAlert" })
export type AnomalyAlert = typeof AnomalyAlert.Type

export const AlertsReport = Schema.Struct({
  as_of: Schema.String.annotate({ description: "server time of this answer" }),
  from: Schema.String.annotate({ description: "first minute judged (inclusive)" }),
  to: Schema.String.annotate({ description: "last minute judged (inclusive): the current minute" }),
  rule: Schema.String.annotate({ description: "the rule, in words" }),
  z_threshold: Schema.Number,
  alerts: Schema.Array(AnomalyAlert).annotate({ description: "newest first" })
}).annotate({ title: "AlertsReport" })
export type AlertsReport = typeof AlertsReport.Type

export class AlertsApi extends HttpApiGroup.make("alerts")
  .add(
    HttpApiEndpoint.get("alerts", "/api/v1/alerts", {
      query: { minutes_back: Schema.optional(MinutesBack) },
      success: AlertsReport,
      error: WarehouseUnavailable
    }).annotateMerge(
      OpenApi.annotations({
        summary: `Anomalies among the closed minutes of the last minutes_back minutes (default 60): ${ALERT_RULE_TEXT}`
      })
    )
  )
  .annotateMerge(OpenApi.annotations({ title: "Alerts" })) {}
