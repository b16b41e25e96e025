/**
 * `GET /api/v1/live`: Server-Sent Events. Each update the warehouse applies is pushed as
 * `event: kpi` with the minute's merged `KpiMinute` as JSON data; a `: heartbeat` comment every
 * 15 s keeps proxies from closing an idle stream. On connect the newest minute is sent first, so a
 * dashboard needs no separate request to draw its initial state.
 */
import { Schema } from "effect"
import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "effect/http-api"
import { KpiMinute } from "./Kpis.ts"

export const KPI_EVENT = "kpi"

export const KpiEvent = Schema.Struct({
  event: Schema.Literal(KPI_EVENT),
  data: Schema.fromJsonString(KpiMinute)
}).annotate({ title: "KpiEvent" })

export class LiveApi extends HttpApiGroup.make("live")
  .add(
    HttpApiEndpoint.get("live", "/api/v1/live", {
      success: HttpApiSchema.StreamSse({ events: KpiEvent })
    }).annotateMerge(
      OpenApi.annotations({
        summary: "Server-Sent Events: `event: kpi` with the updated minute's KPIs after every warehouse update"
      })
    )
  )
  .annotateMerge(OpenApi.annotations({ title: "Live" })) {}
