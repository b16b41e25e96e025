/** Handlers of the KPI endpoints and the middleware that gives query errors a structured body. */
import { Clock, Effect, SchemaIssue } from "effect"
import { HttpApiBuilder, HttpApiMiddleware } from "effect/http-api"
import { DEFAULT_MINUTES_BACK } from "../api/Kpis.ts"
import { WarehouseApi } from "../api/WarehouseApi.ts"
import { invalidQuery, QueryErrors, warehouseUnavailable } from "../api/WarehouseErrors.ts"
import { KpiQueries } from "../live/KpiQueries.ts"

/** A failed read is logged with its cause and answered 503; the client only learns it may retry. */
const unavailable = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  effect.pipe(
    Effect.tapCause((cause) => Effect.logWarning("warehouse query failed", cause)),
    Effect.mapError(() => warehouseUnavailable("the warehouse could not answer; retry shortly"))
  )

export const KpisHandlers = HttpApiBuilder.group(
  WarehouseApi,
  "kpis",
  Effect.fn(function* (handlers) {
    const queries = yield* KpiQueries
    return handlers.handleAll({
      latest: () => Effect.flatMap(Clock.currentTimeMillis, (now) => unavailable(queries.latest(now))),
      range: ({ query }) =>
        Effect.flatMap(Clock.currentTimeMillis, (now) =>
          unavailable(queries.range(query.minutes_back ?? DEFAULT_MINUTES_BACK, now))
        ),
      funnel: ({ query }) =>
        Effect.flatMap(Clock.currentTimeMillis, (now) =>
          unavailable(queries.funnel(query.minutes_back ?? DEFAULT_MINUTES_BACK, now))
        )
    })
  })
)

const formatIssue = SchemaIssue.makeFormatterStandardSchemaV1()

/** Query-string decoding failures become `InvalidQuery`; anything else keeps its default answer. */
export const QueryErrorsLayer = HttpApiMiddleware.layerSchemaErrorTransform(QueryErrors, (error) => {
  if (error.kind !== "Query") return Effect.fail(error)
  const [issue] = formatIssue(error.cause.issue).issues
  const parameter = issue?.path?.[0]
  return Effect.fail(
    invalidQuery(
      issue?.message ?? "invalid query string",
      parameter === undefined ? null : String(typeof parameter === "object" ? parameter.key : parameter)
    )
  )
})
