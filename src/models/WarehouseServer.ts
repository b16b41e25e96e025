/**
 * The warehouse role (`launchpad serve`): the `kpi_minute` sink and the KPI/live HTTP API over
 * `<dataDir>/warehouse.duckdb`.
 *
 * - `WarehouseRoutes`: the API routes alone, for any HttpRouter-based server; no path overlaps the
 *   ingest API, so `launchpad dev` can merge them with `IngestRoutes` in one server.
 * - `WarehouseServices`: the database, queries, live feed and the background sink; needs `Settings`
 *   and an `EventConsumer`.
 * - `layerServer`: the standalone server on `HOST:PORT`, which also serves `/openapi.json`, `/docs`,
 *   `/metrics`, `/health/live` and `/health/ready` (in a merged server the ingest API serves those).
 */
import { NodeHttpServer } from "@effect/platform-node"
import { Effect, Layer } from "effect"
import { HttpRouter } from "effect/http"
import { HttpApiBuilder, HttpApiScalar } from "effect/http-api"
import { Settings } from "../domain/Settings.ts"
import { KafkaHealth } from "../kafka/KafkaHealth.ts"
import { LakeEngine } from "../lake/LakeEngine.ts"
import { LakeReader } from "../lake/LakeReader.ts"
import { ApiTokenLayer } from "../platform/ApiTokenCheck.ts"
import { corsLayer } from "../platform/Cors.ts"
import { limitedServer, serverLimitsOf } from "../platform/HttpServerLimits.ts"
import { opsRoutes } from "../platform/OpsRoutes.ts"
import { routerConfig } from "../platform/Routes.ts"
import { Alerts } from "./alerts/Alerts.ts"
import { WarehouseApi } from "./api/WarehouseApi.ts"
import { KpiMinuteSink, type KpiMinuteSinkOptions } from "./live/KpiMinuteSink.ts"
import { KpiQueries } from "./live/KpiQueries.ts"
import { LiveUpdates } from "./live/LiveUpdates.ts"
import { type ColocatedRoles, PipelineHealth } from "./pipeline/PipelineHealth.ts"
import { MartExport } from "./reports/MartExport.ts"
import { ReportQueries } from "./reports/ReportQueries.ts"
import { ModelDocs } from "./runner/ModelDocs.ts"
import { ModelRunner } from "./runner/ModelRunner.ts"
import { ModelSchedule } from "./runner/ModelSchedule.ts"
import { ModelProject } from "./runner/Project.ts"
import { RunStore } from "./runner/RunStore.ts"
import { AlertsHandlers } from "./server/AlertsHttp.ts"
import { KpisHandlers, QueryErrorsLayer } from "./server/KpisHttp.ts"
import { LiveHandlers } from "./server/LiveHttp.ts"
import { ModelsHandlers } from "./server/ModelsHttp.ts"
import { PipelineHandlers } from "./server/PipelineHttp.ts"
import { ExportHandlers, ReportsHandlers } from "./server/ReportsHttp.ts"
import { Warehouse } from "./warehouse/Warehouse.ts"

/**
 * The routes with their handlers, the alerts over the KPI tables and the pipeline health of a process
 * running the warehouse with `colocated` roles.
 */
const apiRoutes = (options: { readonly openapiPath?: `/${string}`; readonly colocated: ColocatedRoles }) =>
  HttpApiBuilder.layer(WarehouseApi, {
    ...(options.openapiPath === undefined ? {} : { openapiPath: options.openapiPath })
  }).pipe(
    Layer.provide([
      KpisHandlers,
      LiveHandlers,
      AlertsHandlers,
      PipelineHandlers,
      ModelsHandlers,
      ReportsHandlers,
      ExportHandlers
    ]),
    Layer.provide([QueryErrorsLayer, ApiTokenLayer, Alerts.layer, PipelineHealth.layer(options.colocated)])
  )

/**
 * The warehouse's endpoints for a process that runs every role (`launchpad dev`, `launchpad start`):
 * its pipeline health reads the ingest and stream metrics of the same process. Needs the warehouse
 * services.
 */
export const WarehouseRoutes = apiRoutes({ colocated: { ingest: true, stream: true } })

/**
 * Alone, the warehouse is ready once Kafka answers and the topics exist (its sink can consume), and
 * answers cross-origin reads only for LAUNCHPAD_READ_CORS_ORIGINS.
 */
const standaloneRoutes = Layer.unwrap(
  Effect.gen(function* () {
    const health = yield* KafkaHealth
    const settings = yield* Settings
    return Layer.mergeAll(
      apiRoutes({ openapiPath: "/openapi.json", colocated: { ingest: false, stream: false } }),
      HttpApiScalar.layer(WarehouseApi, { path: "/docs" }),
      opsRoutes(health.components),
      corsLayer({ writePaths: new Set(), writeOrigins: [], readOrigins: settings.readCorsOrigins })
    )
  })
).pipe(Layer.provide(KafkaHealth.layer))

/**
 * The model layer over the warehouse and the lake: the project (its SQL and declarations, checked at
 * start), the runner, the docs and the run log. Needs the warehouse (`DuckDbClient`), the lake's
 * reader and engine, and `Settings`.
 */
export const ModelServices = Layer.mergeAll(
  ModelRunner.layer,
  ModelDocs.layer,
  ReportQueries.layer,
  MartExport.layer
).pipe(Layer.provideMerge(Layer.mergeAll(RunStore.layer, ModelProject.layer)))

/**
 * The warehouse database, its KPI queries, the live feed and the model layer, with the `kpi_minute`
 * sink and the scheduled model run in the background.
 */
export const warehouseServices = (sink: KpiMinuteSinkOptions = {}) =>
  Layer.mergeAll(KpiMinuteSink.layerWith(sink), ModelSchedule.layer).pipe(
    Layer.provideMerge(Layer.mergeAll(KpiQueries.layer, LiveUpdates.layer, ModelServices)),
    Layer.provideMerge(LakeReader.layer),
    Layer.provideMerge(LakeEngine.layer),
    Layer.provideMerge(Warehouse.layer)
  )

export const WarehouseServices = warehouseServices()

/** The standalone warehouse server; `port` overrides `PORT` (tests pass 0). */
export const layerServer = (options: { readonly port?: number } = {}) =>
  Layer.unwrap(
    Effect.gen(function* () {
      const settings = yield* Settings
      return HttpRouter.serve(standaloneRoutes, { disableLogger: true, routerConfig }).pipe(
        Layer.provideMerge(
          NodeHttpServer.layer(limitedServer(serverLimitsOf(settings)), {
            port: options.port ?? settings.port,
            host: settings.host
          })
        )
      )
    })
  )
