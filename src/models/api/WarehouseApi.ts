/**
 * The warehouse role's HTTP API contract: live KPIs, the live feed, anomaly alerts, pipeline health,
 * the model layer, the reports over the marts and their export. It imports only Schemas and
 * declarations, so the dashboard's browser bundle carries it (test/ui/dashboardBundle.test.ts). One
 * definition gives the server (`WarehouseServer`), the typed client (`HttpApiClient.make(WarehouseApi)`)
 * and the OpenAPI document.
 */
import { HttpApi, OpenApi } from "effect/http-api"
import { ApiToken } from "../../platform/ApiToken.ts"
import { AlertsApi } from "./Alerts.ts"
import { KpisApi } from "./Kpis.ts"
import { LiveApi } from "./Live.ts"
import { ModelsApi } from "./Models.ts"
import { PipelineApi } from "./Pipeline.ts"
import { ExportApi, ReportsApi } from "./Reports.ts"
import { QueryErrors } from "./WarehouseErrors.ts"

export class WarehouseApi extends HttpApi.make("launchpad-warehouse")
  .add(KpisApi.middleware(QueryErrors).middleware(ApiToken))
  .add(LiveApi.middleware(ApiToken))
  .add(AlertsApi.middleware(QueryErrors).middleware(ApiToken))
  .add(PipelineApi.middleware(ApiToken))
  .add(ModelsApi.middleware(QueryErrors).middleware(ApiToken))
  .add(ReportsApi.middleware(QueryErrors).middleware(ApiToken))
  .add(ExportApi.middleware(QueryErrors).middleware(ApiToken))
  .annotateMerge(
    OpenApi.annotations({
      title: "Launchpad warehouse API",
      description:
        "Live per-minute KPIs from the kpi_minute topic (all stream partitions summed), the configurator funnel, " +
        "a Server-Sent Events feed of every update, anomaly alerts and pipeline health."
    })
  ) {}
