/**
 * CORS for browser SDKs, configured once (LAUNCHPAD_CORS_ORIGINS) for both server paths: the router's
 * `HttpRouter.cors` middleware (preflights and every routed request) and `EventsListener` (the event
 * POSTs it answers itself), which adds the same headers as that middleware does to a non-preflight
 * response.
 */
export const corsOptions = (origins: ReadonlyArray<string>) => ({
  // An empty list makes the middleware answer `*`.
  allowedOrigins: origins.includes("*") ? [] : [...origins],
  allowedMethods: ["GET", "POST", "OPTIONS"],
  allowedHeaders: ["content-type", "content-encoding", "x-write-key", "authorization", "x-request-id"],
  exposedHeaders: ["x-request-id", "retry-after"],
  maxAge: 600
})

export type CorsHeaders = (origin: string | undefined) => Readonly<Record<string, string>>

/** The CORS headers of an actual (non-preflight) response to a request from `origin`. */
export const corsHeaders = (origins: ReadonlyArray<string>): CorsHeaders => {
  const { allowedOrigins, exposedHeaders } = corsOptions(origins)
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
