/**
 * The warehouse role (`launchpad serve`): the `kpi_minute` sink and the KPI/live HTTP API over
 * `<dataDir>/warehouse.duckdb`.
 *
 * - `WarehouseRoutes`: the API routes alone, for any HttpRouter-based server; no path overlaps the
 *   ingest API, so `launchpad dev` can merge them with `IngestRoutes` in one server.
 * - `WarehouseServices`: the database, queries, live feed and the background sink; needs `Settings`
 *   and an `EventConsumer`.
 * - `layerServer`: the standalone server on `HOST:PORT`, which also serves `/openapi.json`, `/docs`,
 *   `/metrics` and `/health/live` (in a merged server the ingest API serves those).
 */
import { NodeHttpServer } from "@effect/platform-node"
import { Effect, Layer } from "effect"
import { HttpRouter, HttpServerResponse } from "effect/http"
import { HttpApiBuilder, HttpApiScalar } from "effect/http-api"
import { PrometheusMetrics } from "effect/observability"
import { Settings } from "../domain/Settings.ts"
import { limitedServer, serverLimitsOf } from "../platform/HttpServerLimits.ts"
import { WarehouseApi } from "./api/WarehouseApi.ts"
import { KpiMinuteSink, type KpiMinuteSinkOptions } from "./live/KpiMinuteSink.ts"
import { KpiQueries } from "./live/KpiQueries.ts"
import { LiveUpdates } from "./live/LiveUpdates.ts"
import { KpisHandlers, QueryErrorsLayer } from "./server/KpisHttp.ts"
import { LiveHandlers } from "./server/LiveHttp.ts"
import { Warehouse } from "./warehouse/Warehouse.ts"

const apiRoutes = (options: { readonly openapiPath?: `/${string}` }) =>
  HttpApiBuilder.layer(WarehouseApi, options).pipe(
    Layer.provide([KpisHandlers, LiveHandlers]),
    Layer.provide(QueryErrorsLayer)
  )

/** `/api/v1/kpis/latest`, `/api/v1/kpis`, `/api/v1/funnel`, `/api/v1/live`; needs `KpiQueries` and `LiveUpdates`. */
export const WarehouseRoutes = apiRoutes({})

const standaloneRoutes = Layer.mergeAll(
  apiRoutes({ openapiPath: "/openapi.json" }),
  HttpApiScalar.layer(WarehouseApi, { path: "/docs" }),
  HttpRouter.add(
    "GET",
    "/metrics",
    Effect.map(PrometheusMetrics.format(), (text) => HttpServerResponse.text(text))
  ),
  HttpRouter.add("GET", "/health/live", HttpServerResponse.jsonUnsafe({ status: "up" }))
)

/** The warehouse database, its queries, the live feed and the `kpi_minute` sink running in the background. */
export const warehouseServices = (sink: KpiMinuteSinkOptions = {}) =>
  KpiMinuteSink.layerWith(sink).pipe(
    Layer.provideMerge(Layer.mergeAll(KpiQueries.layer, LiveUpdates.layer)),
    Layer.provideMerge(Warehouse.layer)
  )

export const WarehouseServices = warehouseServices()

/** The standalone warehouse server; `port` overrides `PORT` (tests pass 0). */
export const layerServer = (options: { readonly port?: number } = {}) =>
  Layer.unwrap(
    Effect.gen(function* () {
      const settings = yield* Settings
      return HttpRouter.serve(standaloneRoutes, { disableLogger: true }).pipe(
        Layer.provideMerge(
          NodeHttpServer.layer(limitedServer(serverLimitsOf(settings)), {
            port: options.port ?? settings.port,
            host: settings.host
          })
        )
      )
    })
  )
