/** The event catalog's JSON Schemas and the Prometheus metrics. */
import { Schema } from "effect"
import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "effect/http-api"
import { ApiToken } from "../../platform/ApiToken.ts"

export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

export class SchemasApi extends HttpApiGroup.make("meta")
  .add(
    HttpApiEndpoint.get("schemas", "/api/v1/schemas", {
      success: Schema.Record(Schema.String, Schema.Unknown).annotate({
        description: "event_type -> JSON Schema (draft 2020-12)"
      })
    })
      .middleware(ApiToken)
      .annotateMerge(OpenApi.annotations({ summary: "JSON Schema of every event type" })),
    HttpApiEndpoint.get("metrics", "/metrics", {
      success: Schema.String.pipe(HttpApiSchema.asText({ contentType: PROMETHEUS_CONTENT_TYPE }))
    }).annotateMerge(OpenApi.annotations({ summary: "Prometheus metrics (text exposition format)" }))
  )
  .annotateMerge(OpenApi.annotations({ title: "Meta" })) {}
