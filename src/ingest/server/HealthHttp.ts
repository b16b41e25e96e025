/** Handlers of the health endpoints. */
import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { NotReady } from "../api/Health.ts"
import { IngestApi } from "../api/IngestApi.ts"
import { Readiness } from "./Readiness.ts"

export const HealthHandlers = HttpApiBuilder.group(
  IngestApi,
  "health",
  Effect.fn(function* (handlers) {
    const readiness = yield* Readiness
    return handlers.handleAll({
      live: () => Effect.succeed({ status: "up" as const }),
      ready: () =>
        Effect.flatMap(readiness.report, (report) =>
          report.ready ? Effect.succeed(report) : Effect.fail(new NotReady({ report }))
        ),
      health: () => readiness.report
    })
  })
)
