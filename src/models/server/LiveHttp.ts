/**
 * `GET /api/v1/live`. The response is rendered here rather than by the `StreamSse` encoder because
 * that encoder cannot write comments, and a heartbeat must be a comment (clients ignore it).
 * Order on connect: subscribe, then `: connected`, then the newest minute, then every update; so a
 * client that has read `: connected` misses no update published after that point.
 */
import { Clock, Duration, Effect, Metric, Stream } from "effect"
import { HttpServerResponse } from "effect/http"
import { HttpApiBuilder } from "effect/http-api"
import type { KpiMinute } from "../api/Kpis.ts"
import { KPI_EVENT } from "../api/Live.ts"
import { WarehouseApi } from "../api/WarehouseApi.ts"
import { KpiQueries } from "../live/KpiQueries.ts"
import { LiveUpdates } from "../live/LiveUpdates.ts"
import { WarehouseMetrics } from "../live/WarehouseMetrics.ts"

const HEARTBEAT_INTERVAL = Duration.seconds(15)

const renderKpi = (minute: KpiMinute): string => `event: ${KPI_EVENT}\ndata: ${JSON.stringify(minute)}\n\n`

export const LiveHandlers = HttpApiBuilder.group(
  WarehouseApi,
  "live",
  Effect.fn(function* (handlers) {
    const live = yield* LiveUpdates
    const queries = yield* KpiQueries

    const connection = Stream.unwrap(
      Effect.gen(function* () {
        const subscription = yield* live.subscribe
        yield* Effect.acquireRelease(Metric.modify(WarehouseMetrics.sseClients, 1), () =>
          Metric.modify(WarehouseMetrics.sseClients, -1)
        )
        const newest = yield* Effect.flatMap(Clock.currentTimeMillis, queries.latest).pipe(
          Effect.map((latest) => (latest.kpis === null ? [] : [latest.kpis])),
          Effect.catchCause((cause) => Effect.as(Effect.logWarning("live: initial minute unavailable", cause), []))
        )
        const updates = Stream.concat(Stream.fromIterable(newest), Stream.fromSubscription(subscription)).pipe(
          Stream.map(renderKpi)
        )
        const heartbeats = Stream.tick(HEARTBEAT_INTERVAL).pipe(
          Stream.drop(1),
          Stream.map(() => ": heartbeat\n\n")
        )
        return Stream.concat(Stream.make(": connected\n\n"), Stream.merge(updates, heartbeats))
      })
    ).pipe(Stream.encodeText)

    return handlers.handleAll({
      live: () =>
        Effect.succeed(
          HttpServerResponse.stream(connection, {
            contentType: "text/event-stream",
            headers: { "cache-control": "no-cache", "x-accel-buffering": "no" }
          })
        )
    })
  })
)
