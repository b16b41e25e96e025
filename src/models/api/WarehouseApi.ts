/**
 * The warehouse role's HTTP API contract (live KPIs now; the mart endpoints join later). One
 * definition gives the server (`WarehouseServer`), the typed client (`HttpApiClient.make(WarehouseApi)`)
 * and the OpenAPI document.
 */
import { HttpApi, OpenApi } from "effect/http-api"
import { KpisApi } from "./Kpis.ts"
import { LiveApi } from "./Live.ts"
import { QueryErrors } from "./WarehouseErrors.ts"

export class WarehouseApi extends HttpApi.make("launchpad-warehouse")
  .add(KpisApi.middleware(QueryErrors))
  .add(LiveApi)
  .annotateMerge(
    OpenApi.annotations({
      title: "Launchpad warehouse API",
      description:
        "Live per-minute KPIs from the kpi_minute topic (all stream partitions summed), the configurator funnel, " +
        "and a Server-Sent Events feed of every update."
    })
  ) {}
