/**
 * The operations server of a role that has no API of its own (`launchpad stream`, `launchpad
 * broker`): `/metrics` (the processor's lag, batch, watermark, lake and checkpoint metrics and the
 * Kafka client's; the broker's produce, fetch, log, group and fsync metrics), `/health/live` and
 * `/health/ready` (platform/OpsRoutes.ts), on `HOST:PORT` (the broker on
 * BROKER_HOST:BROKER_METRICS_PORT, so that it can run next to an API on the default PORT).
 */
import { NodeHttpServer } from "@effect/platform-node"
import { Effect, Layer } from "effect"
import { HttpRouter } from "effect/http"
import { Settings, type SettingsShape } from "../domain/Settings.ts"
import { KafkaHealth } from "../kafka/KafkaHealth.ts"
import { limitedServer, serverLimitsOf } from "../platform/HttpServerLimits.ts"
import { alwaysReady, opsRoutes, type Readiness } from "../platform/OpsRoutes.ts"
import { routerConfig } from "../platform/Routes.ts"

/** The ops endpoints on `address(settings)`, ready when `readiness` says so. */
export const layerOpsServerAt = <R>(
  address: (settings: SettingsShape) => { readonly port: number; readonly host: string },
  readiness: Effect.Effect<Readiness, never, R>
) =>
  Layer.unwrap(
    Effect.gen(function* () {
      const settings = yield* Settings
      const { port, host } = address(settings)
      return HttpRouter.serve(opsRoutes(yield* readiness), { disableLogger: true, routerConfig }).pipe(
        Layer.provide(NodeHttpServer.layer(limitedServer(serverLimitsOf(settings)), { port, host }))
      )
    })
  )

/** The stream role's: on HOST:PORT, ready once Kafka answers and the topics exist. */
export const layerStreamOpsServer = layerOpsServerAt(
  (settings) => ({ port: settings.port, host: settings.host }),
  Effect.map(KafkaHealth, (health) => health.components)
).pipe(Layer.provide(KafkaHealth.layer))

/** The broker role's: on BROKER_HOST:BROKER_METRICS_PORT, ready once the broker listens (the layer is built). */
export const layerBrokerOpsServer = layerOpsServerAt(
  (settings) => ({ port: settings.brokerMetricsPort, host: settings.brokerHost }),
  Effect.succeed(alwaysReady)
)
