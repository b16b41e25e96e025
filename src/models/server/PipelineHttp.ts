/** Handler of `GET /api/v1/pipeline`: `PipelineHealth`'s report, a failed run-log read answered 503. */
import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { WarehouseApi } from "../api/WarehouseApi.ts"
import { warehouseUnavailable } from "../api/WarehouseErrors.ts"
import { PipelineHealth } from "../pipeline/PipelineHealth.ts"

export const PipelineHandlers = HttpApiBuilder.group(
  WarehouseApi,
  "pipeline",
  Effect.fn(function* (handlers) {
    const health = yield* PipelineHealth
    return handlers.handleAll({
      pipeline: () =>
        health.report.pipe(
          Effect.tapCause((cause) => Effect.logWarning("pipeline health failed", cause)),
          Effect.mapError(() => warehouseUnavailable("the warehouse could not answer; retry shortly"))
        )
    })
  })
)
