/**
 * Handlers of the event endpoints. They take the raw request (`handleRaw`): the body needs checks the
 * generic payload decoder does not make (gzip with a decompressed-size limit, text/plain as JSON,
 * structured 4xx answers), and invalid events must not fail the request but get a result each.
 */
import { Clock, Effect, Metric, Option } from "effect"
import { type HttpServerRequest, HttpServerResponse } from "effect/http"
import { HttpApiBuilder } from "effect/http-api"
import { Settings } from "../../domain/Settings.ts"
import { IngestApi } from "../api/IngestApi.ts"
import { CurrentWriteKey } from "../api/WriteKeyAuth.ts"
import { badRequest, payloadTooLarge } from "../domain/IngestErrors.ts"
import { readJsonBody } from "./BodyReader.ts"
import { IngestMetrics } from "./IngestMetrics.ts"
import { Ingestor, type RequestMeta } from "./Ingestor.ts"
import { CurrentRequestId } from "./RequestContext.ts"
import { parseUserAgent } from "./UserAgent.ts"

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

/**
 * The client address: the first `X-Forwarded-For` hop when a proxy set one, else the socket peer. It
 * is only ever hashed (and only when LAUNCHPAD_IP_SALT is set), so a forged header can only skew
 * that hash, not grant anything.
 */
const clientAddress = (request: HttpServerRequest.HttpServerRequest): string | undefined => {
  const forwarded = request.headers["x-forwarded-for"]
  if (forwarded !== undefined) {
    const first = forwarded.split(",")[0]?.trim()
    if (first !== undefined && first !== "") return first
  }
  return Option.getOrUndefined(request.remoteAddress)
}

export const EventsHandlers = HttpApiBuilder.group(
  IngestApi,
  "events",
  Effect.fn(function* (handlers) {
    const settings = yield* Settings
    const ingestor = yield* Ingestor
    const limits = { maxBodyBytes: settings.maxBodyBytes }

    /** The events of the request: the body itself (single) or its `events` array (batch). */
    const eventsOf = (value: unknown, batch: boolean, requestId: string) => {
      if (!batch) return Effect.succeed<ReadonlyArray<unknown>>([value])
      if (!isRecord(value) || !Array.isArray(value.events)) {
        return Effect.fail(badRequest("invalid_body", 'a batch must be a JSON object { "events": [...] }', requestId))
      }
      const extra = Object.keys(value).filter((key) => key !== "events")
      if (extra.length > 0) {
        const shown = extra.slice(0, 3).map((key) => JSON.stringify(key.slice(0, 64)))
        return Effect.fail(badRequest("invalid_body", `unexpected key(s) in the batch: ${shown.join(", ")}`, requestId))
      }
      const events: ReadonlyArray<unknown> = value.events
      if (events.length > settings.maxBatchEvents) {
        return Effect.fail(
          payloadTooLarge(
            "too_many_events",
            `a batch holds at most ${settings.maxBatchEvents} events, got ${events.length}`,
            settings.maxBatchEvents,
            requestId
          )
        )
      }
      return Effect.succeed(events)
    }

    const handle = (batch: boolean) =>
      Effect.fnUntraced(function* ({ request }: { readonly request: HttpServerRequest.HttpServerRequest }) {
        const requestId = yield* CurrentRequestId
        const writeKey = yield* CurrentWriteKey
        const body = yield* readJsonBody(request, limits, requestId)
        yield* Metric.update(IngestMetrics.payloadBytes, body.wireBytes)
        const inputs = yield* eventsOf(body.value, batch, requestId)
        const userAgent = request.headers["user-agent"]
        const meta: RequestMeta = {
          requestId,
          receivedAtMs: yield* Clock.currentTimeMillis,
          writeKeyId: writeKey.id,
          ipHash: ingestor.ipHash(clientAddress(request)),
          userAgent: userAgent === undefined ? undefined : parseUserAgent(userAgent)
        }
        const response = yield* ingestor.ingest(inputs, meta)
        // The answer is built by us from validated values, so it is serialised directly: running the
        // IngestResponse schema over every result would cost more than the rest of a small request.
        return HttpServerResponse.text(JSON.stringify(response), { contentType: "application/json" })
      })

    return handlers.handleRaw("track", handle(false)).handleRaw("batch", handle(true))
  })
)
