/**
 * The one HTTP server of `launchpad dev` and `launchpad start`: the ingest API and the warehouse API
 * on `HOST:PORT`, documented together in one OpenAPI document (`/openapi.json`, `/docs`), and the web
 * app on the same origin (`WebApp`). Each role run alone (`launchpad ingest`, `launchpad serve`) serves
 * and documents only its own API.
 */
import { Effect, Layer } from "effect"
import { HttpRouter, HttpServerResponse } from "effect/http"
import { HttpApi, HttpApiScalar, OpenApi } from "effect/http-api"
import { IngestApi } from "../ingest/api/IngestApi.ts"
import { DOCS_PATHS, IngestApiRoutes, serveWithListener } from "../ingest/IngestServer.ts"
import { WarehouseApi } from "../models/api/WarehouseApi.ts"
import { WarehouseRoutes } from "../models/WarehouseServer.ts"
import { apiPaths } from "../platform/Routes.ts"
import { VERSION } from "./Version.ts"
import { WebApp } from "./WebApp.ts"

/** Both contracts as one API, for documentation and for typed clients of the whole system. */
export const LaunchpadApi = HttpApi.make("launchpad")
  .addHttpApi(IngestApi)
  .addHttpApi(WarehouseApi)
  .annotateMerge(
    OpenApi.annotations({
      title: "Launchpad API",
      version: VERSION,
      description:
        "Self-hosted product analytics. Events: schema-validated ingestion into Kafka (write keys when " +
        "LAUNCHPAD_WRITE_KEYS is set). KPIs and Live: per-minute KPIs from the stream and a Server-Sent Events " +
        "feed. Models: the SQL model DAG over the Parquet lake, its runs and data tests. Read and run endpoints " +
        "need `Authorization: Bearer <LAUNCHPAD_API_TOKEN>` when that is set; health and metrics stay open."
    })
  )

const openApiDocument = OpenApi.fromApi(LaunchpadApi)

const DocsRoutes = Layer.mergeAll(
  HttpApiScalar.layer(LaunchpadApi, { path: "/docs" }),
  HttpRouter.add("GET", "/openapi.json", HttpServerResponse.jsonUnsafe(openApiDocument))
)

export const LaunchpadRoutes = Layer.mergeAll(
  IngestApiRoutes([...apiPaths(LaunchpadApi), ...DOCS_PATHS]),
  WarehouseRoutes,
  DocsRoutes
)

/**
 * `port` overrides `PORT` (tests pass 0 for an ephemeral port). Needs a `WebApp` (Vite in dev, the
 * built files in start), served behind the API routes; prints the URLs to open once listening.
 */
export const layerServer = (options: { readonly port?: number } = {}) =>
  Layer.unwrap(
    Effect.gen(function* () {
      const web = yield* WebApp
      const server = serveWithListener(Layer.mergeAll(LaunchpadRoutes, WebApp.routes), { ...options, front: web.front })
      return WebApp.announce.pipe(Layer.provideMerge(server))
    })
  )
