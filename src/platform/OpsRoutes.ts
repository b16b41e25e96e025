/**
 * The operations endpoints every role serves: Prometheus `/metrics`, `/health/live` (the process
 * answers) and `/health/ready` (200 when every component of the role's readiness is up, else 503 with
 * the same report, so an operator sees which one is down). The ingest API documents its own richer
 * versions in its contract; roles without one (stream, broker, the warehouse alone) serve these.
 */
import { Clock, Effect, Layer } from "effect"
import { HttpRouter, HttpServerResponse } from "effect/http"
import { PrometheusMetrics } from "effect/observability"

export interface ComponentReport {
  readonly status: "up" | "down"
  readonly detail?: string
}

/** What a role reports as its readiness: its components, each up or down. */
export type Readiness = Effect.Effect<Readonly<Record<string, ComponentReport>>>

/** Always ready: the role has nothing to wait for once its layers are built. */
export const alwaysReady: Readiness = Effect.succeed({ process: { status: "up" } })

export const opsRoutes = (readiness: Readiness) =>
  Layer.mergeAll(
    HttpRouter.add(
      "GET",
      "/metrics",
      Effect.map(PrometheusMetrics.format(), (text) => HttpServerResponse.text(text))
    ),
    HttpRouter.add("GET", "/health/live", HttpServerResponse.jsonUnsafe({ status: "up" })),
    HttpRouter.add(
      "GET",
      "/health/ready",
      Effect.gen(function* () {
        const components = yield* readiness
        const ready = Object.values(components).every((component) => component.status === "up")
        const checkedAt = new Date(yield* Clock.currentTimeMillis).toISOString()
        return HttpServerResponse.jsonUnsafe(
          { status: ready ? "up" : "down", ready, components, checked_at: checkedAt },
          { status: ready ? 200 : 503 }
        )
      })
    )
  )
