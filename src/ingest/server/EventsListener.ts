/**
 * The two event endpoints, answered straight from Node's `request` event, before Effect's router.
 *
 * Why: they carry all the load. Through the `HttpApi` router a single-event request cost ~440 µs of
 * CPU (router, security and CORS middleware, one fiber per layer of it), which capped ingest at
 * ~2.5k requests/s on the 2-core target; the same work here is one fiber for the produce. The answers
 * are the contract's (`IngestApi`, which still documents the routes and gives the typed client): the
 * same functions decide them (`BodyReader`, `EventRequest`, `Ingestor`, the write-key matcher, the
 * CORS headers) and test/ingest/listener.test.ts holds both paths to the same answers. Every other
 * request, CORS preflights included, goes on to the router.
 */
import { IncomingMessage, type Server, ServerResponse } from "node:http"
import { Duplex } from "node:stream"
import { Cause, Context, Effect, Exit, Layer, LogLevel, References, Result, Schema } from "effect"
import { Settings } from "../../domain/Settings.ts"
import { type CorsHeaders, corsHeaders } from "../../platform/Cors.ts"
import { EVENT_PATHS } from "../api/Events.ts"
import { EventErrors, type IngestError, RETRY_AFTER_SECONDS } from "../domain/IngestErrors.ts"
import { BodyBudget } from "./BodyBudget.ts"
import { closeUnreadBody, readNodeJsonBody } from "./BodyReader.ts"
import { eventsOf, requestMeta } from "./EventRequest.ts"
import { IngestMetrics } from "./IngestMetrics.ts"
import { Ingestor } from "./Ingestor.ts"
import { counterFor, latencyFor, requestIdOf } from "./RequestContext.ts"
import { credentialsOf, makeMatcher, unauthorizedError } from "./WriteKeyAuth.ts"

const ROUTES: Readonly<Record<string, boolean>> = { [EVENT_PATHS.track]: false, [EVENT_PATHS.batch]: true }

/** The error bodies exactly as the `HttpApi` encodes them (`{ _tag, error }`). */
const encodeError = Schema.encodeSync(Schema.Union(EventErrors))

/**
 * A handler in front of the router: answers a request itself (true) or leaves it to the router (false).
 * `EventsListener` is one; the app layer passes others down (the web app's dev server).
 */
export interface FrontHandler {
  readonly handle: (request: IncomingMessage, response: ServerResponse) => boolean
  /** The same for protocol upgrades (WebSocket); without it, upgrades go to the router. */
  readonly upgrade?: (request: IncomingMessage, socket: Duplex, head: Buffer) => boolean
}

export interface EventsListenerShape extends FrontHandler {
  /** Answers `request` when it is a POST to an event endpoint; false leaves it to the router. */
  readonly handle: (request: IncomingMessage, response: ServerResponse) => boolean
}

export class EventsListener extends Context.Service<EventsListener, EventsListenerShape>()(
  "launchpad/ingest/EventsListener"
) {
  static readonly layer = Layer.effect(
    EventsListener,
    Effect.gen(function* () {
      const settings = yield* Settings
      const ingestor = yield* Ingestor
      const budget = yield* BodyBudget
      const context = yield* Effect.context<never>()
      const debug = LogLevel.isGreaterThanOrEqualTo("Debug", yield* References.MinimumLogLevel)
      const limits = { maxBodyBytes: settings.maxBodyBytes }
      const matcher = makeMatcher(settings.writeKeys)
      const cors: CorsHeaders = corsHeaders(settings.corsOrigins)
      const run = Effect.runForkWith(context)

      const handle = (request: IncomingMessage, response: ServerResponse): boolean => {
        if (request.method !== "POST") return false
        const url = request.url ?? ""
        const q = url.indexOf("?")
        const route = q === -1 ? url : url.slice(0, q)
        const batch = ROUTES[route]
        if (batch === undefined) return false

        const start = Date.now()
        const requestId = requestIdOf(headerOf(request, "x-request-id"))
        const reply = (status: number, body: string) => {
          const headers: Record<string, string> = {
            "content-type": "application/json",
            "content-length": String(Buffer.byteLength(body)),
            "x-request-id": requestId,
            ...cors(headerOf(request, "origin"))
          }
          if (status === 503) headers["retry-after"] = String(RETRY_AFTER_SECONDS)
          closeUnreadBody(request, response)
          response.writeHead(status, headers)
          response.end(body)
          const elapsed = Date.now() - start
          counterFor(route, status).updateUnsafe(1, context)
          latencyFor(route).updateUnsafe(elapsed, context)
          if (status >= 500 || debug) {
            const log = status >= 500 ? Effect.logWarning : Effect.logDebug
            run(
              log("http request").pipe(
                Effect.annotateLogs({ method: "POST", route, status, ms: elapsed, request_id: requestId })
              )
            )
          }
        }
        const fail = (error: IngestError) => reply(error.error.status, JSON.stringify(encodeError(error)))

        let writeKeyId: string | undefined
        if (matcher.enabled) {
          const credentials = credentialsOf(headerOf(request, "x-write-key"), headerOf(request, "authorization"))
          writeKeyId = credentials.map(matcher.match).find((id) => id !== undefined)
          if (writeKeyId === undefined) {
            request.resume()
            fail(unauthorizedError(requestId))
            return true
          }
        }

        readNodeJsonBody(request, limits, requestId, budget, (body) => {
          if (Result.isFailure(body)) return fail(body.failure)
          IngestMetrics.payloadBytes.updateUnsafe(body.success.wireBytes, context)
          const inputs = eventsOf(body.success.value, batch, settings.maxBatchEvents, requestId)
          if (Result.isFailure(inputs)) return fail(inputs.failure)
          const meta = requestMeta(ingestor, {
            requestId,
            receivedAtMs: Date.now(),
            writeKeyId,
            forwardedFor: headerOf(request, "x-forwarded-for"),
            peer: request.socket.remoteAddress,
            userAgent: headerOf(request, "user-agent")
          })
          run(ingestor.ingest(inputs.success, meta)).addObserver((exit) => {
            if (Exit.isSuccess(exit)) return reply(200, JSON.stringify(exit.value))
            const error = Cause.findError(exit.cause)
            if (Result.isSuccess(error)) return fail(error.success)
            run(
              Effect.logError("event request failed", exit.cause).pipe(Effect.annotateLogs({ request_id: requestId }))
            )
            reply(500, "")
          })
        })
        return true
      }

      return EventsListener.of({ handle })
    })
  )
}

/** A single header value (Node joins repeated ones, except a few it turns into arrays). */
const headerOf = (request: IncomingMessage, name: string): string | undefined => {
  const value = request.headers[name]
  return Array.isArray(value) ? value[0] : value
}

/**
 * A Node HTTP server whose `request` (and `upgrade`) events go to `handlers` first, in order.
 * `NodeHttpServer` attaches the router with `server.on("request", …)`; dispatch is intercepted at
 * `emit` so that the router never sees a request a handler answered.
 */
export const serverWith = (handlers: ReadonlyArray<FrontHandler>, create: () => Server) => (): Server => {
  const server = create()
  const emit = server.emit

  server.emit = (event: string | symbol, ...args: Array<unknown>): boolean => {
    if (event === "request") {
      const response = args[1]
      if (response instanceof ServerResponse) {
        for (const handler of handlers) if (handler.handle(response.req, response)) return true
      }
    } else if (event === "upgrade") {
      const [request, socket, head] = args
      if (request instanceof IncomingMessage && socket instanceof Duplex && Buffer.isBuffer(head)) {
        for (const handler of handlers) if (handler.upgrade?.(request, socket, head) === true) return true
      }
    }
    return Reflect.apply(emit, server, [event, ...args])
  }
  return server
}
