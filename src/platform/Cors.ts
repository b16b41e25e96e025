/**
 * CORS, with two policies: the event endpoints are written to by browsers on any site that embeds
 * the SDK (LAUNCHPAD_CORS_ORIGINS, default `*`); everything else — KPIs, reports, the live feed,
 * schemas, metrics — is read by the dashboard on its own origin, so it answers cross-origin reads only
 * for the origins in LAUNCHPAD_READ_CORS_ORIGINS (default none: same origin only, no CORS headers).
 * One global middleware picks the policy by path; `EventsListener`, which answers the event POSTs
 * before the router, adds the write policy's headers itself (`corsHeaders`).
 */
import { Effect } from "effect"
import { HttpMiddleware, HttpRouter, HttpServerRequest } from "effect/http"

export interface CorsPolicy {
  /** Paths written to by browsers everywhere (exact, canonical). */
  readonly writePaths: ReadonlySet<string>
  readonly writeOrigins: ReadonlyArray<string>
  readonly readOrigins: ReadonlyArray<string>
}

const options = (origins: ReadonlyArray<string>, methods: ReadonlyArray<string>) => ({
  // An empty list makes Effect's middleware answer `*`.
  allowedOrigins: origins.includes("*") ? [] : [...origins],
  allowedMethods: [...methods],
  allowedHeaders: ["content-type", "content-encoding", "x-write-key", "authorization", "x-request-id"],
  exposedHeaders: ["x-request-id", "retry-after"],
  maxAge: 600
})

const writeOptions = (origins: ReadonlyArray<string>) => options(origins, ["POST", "OPTIONS"])

const pathOf = (url: string) => {
  const q = url.indexOf("?")
  return q === -1 ? url : url.slice(0, q)
}

/** The global middleware: the write policy on `writePaths`, the read policy elsewhere. */
export const corsLayer = (policy: CorsPolicy) => {
  const write = HttpMiddleware.cors(writeOptions(policy.writeOrigins))
  const read =
    policy.readOrigins.length === 0
      ? undefined
      : HttpMiddleware.cors(options(policy.readOrigins, ["GET", "POST", "OPTIONS"]))
  return HttpRouter.middleware(
    (app) => {
      const writing = write(app)
      const reading = read === undefined ? app : read(app)
      return Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) =>
        policy.writePaths.has(pathOf(request.url)) ? writing : reading
      )
    },
    { global: true }
  )
}

export type CorsHeaders = (origin: string | undefined) => Readonly<Record<string, string>>

/** The write policy's headers on an actual (non-preflight) response to a request from `origin`. */
export const corsHeaders = (origins: ReadonlyArray<string>): CorsHeaders => {
  const { allowedOrigins, exposedHeaders } = writeOptions(origins)
  const expose = exposedHeaders.join(",")
  const [only] = allowedOrigins
  if (only === undefined) {
    const headers = { "access-control-allow-origin": "*", "access-control-expose-headers": expose }
    return () => headers
  }
  if (allowedOrigins.length === 1) {
    const headers = { "access-control-allow-origin": only, vary: "Origin", "access-control-expose-headers": expose }
    return () => headers
  }
  const allowed = new Set(allowedOrigins)
  return (origin) =>
    origin !== undefined && allowed.has(origin)
      ? { "access-control-allow-origin": origin, vary: "Origin", "access-control-expose-headers": expose }
      : { vary: "Origin", "access-control-expose-headers": expose }
}
