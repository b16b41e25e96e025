/**
 * The live feed (`GET /api/v1/live`, Server-Sent Events) through the typed client: `fetch` with a
 * stream reader underneath (FetchHttpClient), not `EventSource`, because EventSource cannot send the
 * bearer token. Each `kpi` event is decoded with the contract's Schema. The connection is retried with
 * backoff when it drops; a 401 stops it until the token changes.
 */
import { Duration, Effect, Fiber, Stream } from "effect"
import type { KpiMinute } from "../../../models/api/Kpis.ts"
import { classify, warehouseClient } from "./client.ts"
import { currentToken, refused } from "./token.ts"

export type LiveStatus = "connecting" | "live" | "reconnecting" | "unauthorized"

const MAX_BACKOFF_MS = 15_000

/** Follows the feed until the returned function is called. */
export const followLive = (onMinute: (minute: KpiMinute) => void, onStatus: (status: LiveStatus) => void) => {
  let connected = false
  const connection = Effect.gen(function* () {
    const client = yield* Effect.promise(warehouseClient)
    const stream = yield* client.live.live()
    connected = true
    onStatus("live")
    yield* Stream.runForEach(stream, (event) => Effect.sync(() => onMinute(event.data)))
  })

  const loop = Effect.gen(function* () {
    let backoffMs = 500
    for (;;) {
      const sent = currentToken()
      const outcome = yield* connection.pipe(
        Effect.as("ended" as const),
        Effect.catch((error: unknown) => Effect.succeed(classify(error).kind))
      )
      if (outcome === "unauthorized") {
        refused(sent)
        onStatus("unauthorized")
        return
      }
      // A connection that was up starts the backoff again from the shortest wait.
      if (connected) backoffMs = 500
      connected = false
      onStatus("reconnecting")
      yield* Effect.sleep(Duration.millis(backoffMs))
      backoffMs = Math.min(MAX_BACKOFF_MS, backoffMs * 2)
    }
  })

  onStatus("connecting")
  const fiber = Effect.runFork(loop)
  return () => {
    Effect.runFork(Fiber.interrupt(fiber))
  }
}
