/** Handlers of the report and export endpoints: `ReportQueries` and `MartExport` answers as HTTP. */
import { Effect } from "effect"
import { HttpServerResponse } from "effect/http"
import { HttpApiBuilder } from "effect/http-api"
import { REPORTS } from "../api/Reports.ts"
import { WarehouseApi } from "../api/WarehouseApi.ts"
import { invalidQuery, notBuilt, warehouseUnavailable } from "../api/WarehouseErrors.ts"
import { CONTENT_TYPES, type ExportFileError, MartExport } from "../reports/MartExport.ts"
import { type ReportError, ReportQueries } from "../reports/ReportQueries.ts"

/**
 * A bad parameter is a 400 naming it, a mart never built a 409; anything else (a warehouse error, rows
 * that do not fit the contract) is logged with its cause and answered 503.
 */
const answer = <A, R>(effect: Effect.Effect<A, ReportError | ExportFileError, R>) =>
  effect.pipe(
    Effect.catchTags({
      ReportParameterError: (error) => Effect.fail(invalidQuery(error.message, error.parameter)),
      MartNotBuilt: (error) => Effect.fail(notBuilt(error.model))
    }),
    Effect.catchIf(
      (error) => error._tag !== "InvalidQuery" && error._tag !== "NotBuilt",
      (error) =>
        Effect.andThen(
          Effect.logWarning("report failed", error),
          Effect.fail(warehouseUnavailable("the warehouse could not answer; retry shortly"))
        )
    )
  )

export const ReportsHandlers = HttpApiBuilder.group(
  WarehouseApi,
  "reports",
  Effect.fn(function* (handlers) {
    const reports = yield* ReportQueries
    return handlers.handleAll({
      engagement: ({ query }) => answer(reports.engagement(query)),
      funnel: ({ query }) => answer(reports.funnel(query)),
      retention: ({ query }) => answer(reports.retention(query)),
      experiments: ({ query }) => answer(reports.experiments(query)),
      revenue: ({ query }) => answer(reports.revenue(query)),
      segments: () => answer(reports.segments),
      attribution: ({ query }) => answer(reports.attribution(query)),
      search: ({ query }) => answer(reports.search(query)),
      unknown: ({ params }) =>
        Effect.fail(invalidQuery(`no report ${params.report}; reports: ${REPORTS.join(", ")}`, "report"))
    })
  })
)

export const ExportHandlers = HttpApiBuilder.group(
  WarehouseApi,
  "export",
  Effect.fn(function* (handlers) {
    const exports = yield* MartExport
    return handlers.handleAll({
      mart: ({ params }) =>
        answer(exports.export(params.file)).pipe(
          Effect.map((file) =>
            HttpServerResponse.stream(file.body, {
              contentType: CONTENT_TYPES[file.format],
              contentLength: file.bytes,
              headers: {
                "content-disposition": `attachment; filename="${file.fileName}"`,
                "cache-control": "no-store"
              }
            })
          )
        )
    })
  })
)
