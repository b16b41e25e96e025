/** Handler of `GET /api/v1/alerts`: the anomalies `Alerts` finds, a failed read answered 503. */
import { Clock, Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { Alerts } from "../alerts/Alerts.ts"
import { DEFAULT_MINUTES_BACK } from "../api/Kpis.ts"
import { WarehouseApi } from "../api/WarehouseApi.ts"
import { warehouseUnavailable } from "../api/WarehouseErrors.ts"

export const AlertsHandlers = HttpApiBuilder.group(
  WarehouseApi,
  "alerts",
  Effect.fn(function* (handlers) {
    const alerts = yield* Alerts
    return handlers.handleAll({
      alerts: ({ query }) =>
        Effect.flatMap(Clock.currentTimeMillis, (now) =>
          alerts.recent(query.minutes_back ?? DEFAULT_MINUTES_BACK, now)
        ).pipe(
          Effect.tapCause((cause) => Effect.logWarning("alerts query failed", cause)),
          Effect.mapError(() => warehouseUnavailable("the warehouse could not answer; retry shortly"))
        )
    })
  })
)
