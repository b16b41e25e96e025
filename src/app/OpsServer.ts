/**
 * The operations endpoints of a role that has no API of its own (`launchpad stream`, `launchpad
 * broker`): Prometheus `/metrics` (the processor's lag, batch, watermark, lake and checkpoint metrics
 * and the Kafka client's; the broker's produce, fetch, log, group and fsync metrics) and
 * `/health/live`, on `HOST:PORT` (the broker on BROKER_HOST:BROKER_METRICS_PORT, so that it can run
 * next to an API on the default PORT). The roles with an API serve these from it.
 */
import { NodeHttpServer } from "@effect/platform-node"
import { Effect, Layer } from "effect"
import { HttpRouter, HttpServerResponse } from "effect/http"
import { PrometheusMetrics } from "effect/observability"
import { Settings, type SettingsShape } from "../domain/Settings.ts"
import { limitedServer, serverLimitsOf } from "../platform/HttpServerLimits.ts"

const OpsRoutes = Layer.mergeAll(
  HttpRouter.add(
    "GET",
    "/metrics",
    Effect.map(PrometheusMetrics.format(), (text) => HttpServerResponse.text(text))
  ),
  HttpRouter.add("GET", "/health/live", HttpServerResponse.jsonUnsafe({ status: "up" }))
)

/** The ops endpoints on `address(settings)` (HOST:PORT for the stream role). */
export const layerOpsServerAt = (
  address: (settings: SettingsShape) => { readonly port: number; readonly host: string }
) =>
  Layer.unwrap(
    Effect.gen(function* () {
      const settings = yield* Settings
      const { port, host } = address(settings)
      return HttpRouter.serve(OpsRoutes, { disableLogger: true }).pipe(
        Layer.provide(NodeHttpServer.layer(limitedServer(serverLimitsOf(settings)), { port, host }))
      )
    })
  )

export const layerOpsServer = layerOpsServerAt((settings) => ({ port: settings.port, host: settings.host }))
