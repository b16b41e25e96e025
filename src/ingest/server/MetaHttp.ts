/** Handlers of `/api/v1/schemas` and `/metrics`. */
import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { PrometheusMetrics } from "effect/observability"
import { eventJsonSchemas } from "../../domain/JsonSchemas.ts"
import { IngestApi } from "../api/IngestApi.ts"

export const MetaHandlers = HttpApiBuilder.group(
  IngestApi,
  "meta",
  Effect.fn(function* (handlers) {
    // Derived from the catalog, which cannot change while the process runs.
    const schemas = eventJsonSchemas()
    return handlers.handleAll({
      schemas: () => Effect.succeed(schemas),
      metrics: () => PrometheusMetrics.format()
    })
  })
)
