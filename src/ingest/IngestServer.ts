/**
 * The ingest HTTP server as a layer: the `IngestApi` routes (events, health, schemas, metrics),
 * `/openapi.json`, the Scalar docs UI at `/docs`, CORS for browser SDKs and the request-id
 * middleware, served on `HOST:PORT`, with the event POSTs answered by `EventsListener` before the
 * router. It needs Kafka and the producer from outside, so the same layer runs alone
 * (`launchpad ingest`) or beside other roles sharing one producer (`launchpad dev`).
 */
import { NodeHttpServer } from "@effect/platform-node"
import { Effect, Layer } from "effect"
import { HttpRouter } from "effect/http"
import { HttpApiBuilder, HttpApiScalar } from "effect/http-api"
import { Settings } from "../domain/Settings.ts"
import { KafkaHealth } from "../kafka/KafkaHealth.ts"
import { ApiTokenLayer } from "../platform/ApiTokenCheck.ts"
import { corsLayer } from "../platform/Cors.ts"
import { limitedServer, serverLimitsOf } from "../platform/HttpServerLimits.ts"
import { apiPaths, routerConfig } from "../platform/Routes.ts"
import { EVENT_PATHS } from "./api/Events.ts"
import { IngestApi } from "./api/IngestApi.ts"
import { BodyBudget } from "./server/BodyBudget.ts"
import { EventsHandlers } from "./server/EventsHttp.ts"
import { EventsListener, type FrontHandler, serverWith } from "./server/EventsListener.ts"
import { HealthHandlers } from "./server/HealthHttp.ts"
import { Ingestor } from "./server/Ingestor.ts"
import { MetaHandlers } from "./server/MetaHttp.ts"
import { Readiness } from "./server/Readiness.ts"
import { requestContextLayer } from "./server/RequestContext.ts"
import { WriteKeyAuthLayer } from "./server/WriteKeyAuth.ts"

/** The event endpoints take writes from any configured origin; everything else answers its own origin only (platform/Cors.ts). */
const corsPolicy = Layer.unwrap(
  Effect.gen(function* () {
    const settings = yield* Settings
    return corsLayer({
      writePaths: new Set(Object.values(EVENT_PATHS)),
      writeOrigins: settings.corsOrigins,
      readOrigins: settings.readCorsOrigins
    })
  })
)

/** What the routes and the listener share: one `Ingestor` (so one in-flight limit) and readiness. */
export const IngestServices = Layer.mergeAll(
  Readiness.layer.pipe(Layer.provideMerge(Ingestor.layer), Layer.provide(KafkaHealth.layer)),
  BodyBudget.layer
)

const apiRoutes = (options: { readonly openapiPath?: `/${string}` }) =>
  HttpApiBuilder.layer(IngestApi, options).pipe(
    Layer.provide([EventsHandlers, HealthHandlers, MetaHandlers]),
    Layer.provide([WriteKeyAuthLayer, ApiTokenLayer])
  )

/**
 * The API routes and the global middleware (request ids, CORS) without `/openapi.json` and `/docs`,
 * for a server that merges other APIs and documents them together (`launchpad dev`).
 */
/** Served beside the API definitions' own routes. */
export const DOCS_PATHS = ["/openapi.json", "/docs"] as const

export const IngestApiRoutes = (routes: ReadonlyArray<string>) =>
  Layer.mergeAll(apiRoutes({}), requestContextLayer(routes), corsPolicy)

/** Every route and middleware of the ingest role, its OpenAPI document and docs UI included. */
export const IngestRoutes = Layer.mergeAll(
  apiRoutes({ openapiPath: "/openapi.json" }),
  HttpApiScalar.layer(IngestApi, { path: "/docs" }),
  requestContextLayer([...apiPaths(IngestApi), ...DOCS_PATHS]),
  corsPolicy
)

export interface ServerOptions {
  /** Overrides `PORT` (tests pass 0 for an ephemeral port and read it from `HttpServer.address`). */
  readonly port?: number
  /** false: the router answers the event POSTs too (tests compare the two paths). */
  readonly eventsListener?: boolean
  /** Handlers tried after the events listener and before the router (the web app's dev server). */
  readonly front?: ReadonlyArray<FrontHandler>
}

/**
 * `routes` served by a Node HTTP server on `HOST:PORT`, the event POSTs answered by `EventsListener`.
 * The built-in access logger is off: `RequestContext` logs at Debug, without payloads.
 */
export const serveWithListener = <E, R>(routes: Layer.Layer<never, E, R>, options: ServerOptions = {}) =>
  Layer.unwrap(
    Effect.gen(function* () {
      const settings = yield* Settings
      const listener = yield* EventsListener
      if (settings.writeKeys.length === 0) {
        yield* Effect.logWarning("LAUNCHPAD_WRITE_KEYS is unset: event requests are accepted without a write key")
      } else {
        yield* Effect.logInfo(
          `write keys required on event requests: ${settings.writeKeys.map((k) => k.id).join(", ")}`
        )
      }
      const limited = limitedServer(serverLimitsOf(settings))
      const front = [...(options.eventsListener === false ? [] : [listener]), ...(options.front ?? [])]
      const server = front.length === 0 ? limited : serverWith(front, limited)
      return HttpRouter.serve(routes, { disableLogger: true, routerConfig }).pipe(
        Layer.provideMerge(NodeHttpServer.layer(server, { port: options.port ?? settings.port, host: settings.host }))
      )
    })
  ).pipe(Layer.provide(EventsListener.layer), Layer.provideMerge(IngestServices))

/** The ingest role's server. */
export const layerServer = (options: ServerOptions = {}) => serveWithListener(IngestRoutes, options)
