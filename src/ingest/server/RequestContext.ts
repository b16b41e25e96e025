/**
 * Global router middleware: gives every request an id (an incoming `X-Request-Id` is kept when it is
 * sane, otherwise a fresh UUID), echoes it in the response, adds `Retry-After` to every 503, and
 * records the per-request metrics and a Debug access log. The log carries method, route, status and
 * timing only: never bodies, headers or query strings.
 */
import { randomUUID } from "node:crypto"
import { Clock, Context, Effect, LogLevel, References } from "effect"
import { HttpEffect, HttpRouter, HttpServerRequest, HttpServerResponse } from "effect/http"
import { labelled } from "../../domain/MetricLabels.ts"
import { routeLabeller } from "../../platform/Routes.ts"
import { RETRY_AFTER_SECONDS } from "../domain/IngestErrors.ts"
import { IngestMetrics } from "./IngestMetrics.ts"

/** The current request's id; handlers read it to put it in error bodies and Kafka records. */
export const CurrentRequestId = Context.Reference<string>("launchpad/ingest/CurrentRequestId", {
  defaultValue: () => "none"
})

const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/

export const requestIdOf = (incoming: string | undefined): string =>
  incoming !== undefined && SANE_REQUEST_ID.test(incoming) ? incoming : randomUUID()

const requestCounters = labelled(IngestMetrics.requests)
const latencyHistograms = labelled(IngestMetrics.requestLatency)

export const counterFor = (route: string, status: number) => requestCounters({ route, status: String(status) })

export const latencyFor = (route: string) => latencyHistograms({ route })

const retryAfter = String(RETRY_AFTER_SECONDS)

/** The router's bare 404, as a JSON error body like every other error (`route` is the label: "other"). */
const notFound = (method: string, route: string) =>
  HttpServerResponse.jsonUnsafe(
    {
      error: {
        status: 404,
        code: "not_found",
        message: `no ${method} route here (${route}); paths are case-sensitive and take no trailing slash`
      }
    },
    { status: 404 }
  )

/**
 * The middleware for a server whose routes are `routes` (templates, as the API definitions declare
 * them): they are the `route` label; anything else is "other", so label values stay bounded.
 *
 * It runs on every request, so it is written against the fiber directly (no generator, no extra
 * effects, logging only when it would be emitted): written with `Effect.gen` it and CORS together
 * doubled the CPU of a `GET /health/live`; this way they add about 10 µs per request.
 */
export const requestContextLayer = (routes: ReadonlyArray<string>) => {
  const routeLabel = routeLabeller(routes)
  return HttpRouter.middleware(
    (httpEffect) =>
      Effect.withFiber((fiber) => {
        const context = fiber.context
        const request = Context.getUnsafe(context, HttpServerRequest.HttpServerRequest)
        const clock = fiber.getRef(Clock.Clock)
        const requestId = requestIdOf(request.headers["x-request-id"])
        const start = clock.currentTimeMillisUnsafe()
        const route = routeLabel(request.url)
        const debug = LogLevel.isGreaterThanOrEqualTo("Debug", fiber.getRef(References.MinimumLogLevel))
        // A pre-response handler also sees the router's own answers (404, 500), so every response gets these.
        HttpEffect.appendPreResponseHandlerUnsafe(context, (_request, response) => {
          const elapsed = clock.currentTimeMillisUnsafe() - start
          const status = response.status
          counterFor(route, status).updateUnsafe(1, context)
          latencyFor(route).updateUnsafe(elapsed, context)
          const withId = HttpServerResponse.setHeader(
            status === 404 && response.body._tag === "Empty" ? notFound(request.method, route) : response,
            "x-request-id",
            requestId
          )
          const answer = status === 503 ? HttpServerResponse.setHeader(withId, "retry-after", retryAfter) : withId
          if (status < 500 && !debug) return Effect.succeed(answer)
          const log = status >= 500 ? Effect.logWarning : Effect.logDebug
          return log("http request").pipe(
            Effect.annotateLogs({ method: request.method, route, status, ms: elapsed, request_id: requestId }),
            Effect.as(answer)
          )
        })
        return Effect.provideService(httpEffect, CurrentRequestId, requestId)
      }),
    { global: true }
  )
}
