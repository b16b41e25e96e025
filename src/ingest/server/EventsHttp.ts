/**
 * Handlers of the event endpoints in the `HttpApi` router. They take the raw request (`handleRaw`):
 * the body needs checks the generic payload decoder does not make (gzip with a decompressed-size
 * limit, text/plain as JSON, structured 4xx answers), and invalid events must not fail the request
 * but get a result each. The servers built by `IngestServer` answer these two routes earlier, in
 * `EventsListener`, with the same functions; these handlers serve any other mounting of the routes
 * and are held to the same answers by test/ingest/listener.test.ts.
 */
import { Clock, Effect, Metric, Option } from "effect"
import { type HttpServerRequest, HttpServerResponse } from "effect/http"
import { HttpApiBuilder } from "effect/http-api"
import { Settings } from "../../domain/Settings.ts"
import { IngestApi } from "../api/IngestApi.ts"
import { CurrentWriteKey } from "../api/WriteKeyAuth.ts"
import { BodyBudget } from "./BodyBudget.ts"
import { readJsonBody } from "./BodyReader.ts"
import { eventsOf, requestMeta } from "./EventRequest.ts"
import { IngestMetrics } from "./IngestMetrics.ts"
import { Ingestor } from "./Ingestor.ts"
import { CurrentRequestId } from "./RequestContext.ts"

export const EventsHandlers = HttpApiBuilder.group(
  IngestApi,
  "events",
  Effect.fn(function* (handlers) {
    const settings = yield* Settings
    const ingestor = yield* Ingestor
    const budget = yield* BodyBudget
    const limits = { maxBodyBytes: settings.maxBodyBytes }

    const handle = (batch: boolean) =>
      Effect.fnUntraced(function* ({ request }: { readonly request: HttpServerRequest.HttpServerRequest }) {
        const requestId = yield* CurrentRequestId
        const writeKey = yield* CurrentWriteKey
        const body = yield* readJsonBody(request, limits, requestId, budget)
        yield* Metric.update(IngestMetrics.payloadBytes, body.wireBytes)
        const inputs = yield* Effect.fromResult(eventsOf(body.value, batch, settings.maxBatchEvents, requestId))
        const meta = requestMeta(ingestor, {
          requestId,
          receivedAtMs: yield* Clock.currentTimeMillis,
          writeKeyId: writeKey.id,
          forwardedFor: request.headers["x-forwarded-for"],
          peer: Option.getOrUndefined(request.remoteAddress),
          userAgent: request.headers["user-agent"]
        })
        const response = yield* ingestor.ingest(inputs, meta)
        // The answer is built by us from validated values, so it is serialised directly: running the
        // IngestResponse schema over every result would cost more than the rest of a small request.
        return HttpServerResponse.text(JSON.stringify(response), { contentType: "application/json" })
      })

    return handlers.handleRaw("track", handle(false)).handleRaw("batch", handle(true))
  })
)
