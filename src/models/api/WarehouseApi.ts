/**
 * The warehouse role's HTTP API contract: live KPIs, the live feed, the model layer, the reports
 * over the marts and their export. One
 * definition gives the server (`WarehouseServer`), the typed client (`HttpApiClient.make(WarehouseApi)`)
 * and the OpenAPI document.
 */
import { HttpApi, OpenApi } from "effect/http-api"
import { ApiToken } from "../../platform/ApiToken.ts"
import { KpisApi } from "./Kpis.ts"
import { LiveApi } from "./Live.ts"
import { ModelsApi } from "./Models.ts"
import { ExportApi, ReportsApi } from "./Reports.ts"
import { QueryErrors } from "./WarehouseErrors.ts"

export class WarehouseApi extends HttpApi.make("launchpad-warehouse")
  .add(KpisApi.middleware(QueryErrors).middleware(ApiToken))
  .add(LiveApi.middleware(ApiToken))
  .add(ModelsApi.middleware(QueryErrors).middleware(ApiToken))
  .add(ReportsApi.middleware(QueryErrors).middleware(ApiToken))
  .add(ExportApi.middleware(QueryErrors).middleware(ApiToken))
  .annotateMerge(
    OpenApi.annotations({
      title: "Launchpad warehouse API",
      description:
        "Live per-minute KPIs from the kpi_minute topic (all stream partitions summed), the configurator funnel, " +
        "and a Server-Sent Events feed of every update."
    })
  ) {}
