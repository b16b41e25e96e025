/**
 * The Node HTTP server every role serves from, with limits sized for an event API instead of Node's
 * defaults (a request body may take 300 s, headers 60 s, connections are unbounded and the timeouts
 * are only checked every 30 s). A client that is too slow gets 408 and its connection closed; past
 * `maxConnections` new connections are dropped at once.
 */
import { createServer, type Server } from "node:http"
import type { SettingsShape } from "../domain/Settings.ts"

export interface HttpServerLimits {
  /** The request line and headers must arrive within this (408 otherwise). */
  readonly headersTimeoutMs: number
  /** The whole request, body included, must arrive within this (408 otherwise). */
  readonly requestTimeoutMs: number
  /** An idle keep-alive connection is closed after this. */
  readonly keepAliveTimeoutMs: number
  /** Open connections; more are dropped as they arrive. */
  readonly maxConnections: number
}

/** How often Node checks the header and request timeouts (its default is 30 s). */
const TIMEOUT_CHECK_MS = 1_000

/** A factory for `NodeHttpServer.layer`: a plain `node:http` server with `limits` applied. */
export const limitedServer = (limits: HttpServerLimits) => (): Server => {
  const server = createServer({
    headersTimeout: Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs),
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    connectionsCheckingInterval: Math.min(TIMEOUT_CHECK_MS, limits.headersTimeoutMs)
  })
  server.maxConnections = limits.maxConnections
  return server
}

/** The limits as configured (LAUNCHPAD_HEADERS_TIMEOUT_MS, …). */
export const serverLimitsOf = (settings: SettingsShape): HttpServerLimits => ({
  headersTimeoutMs: settings.headersTimeoutMs,
  requestTimeoutMs: settings.requestTimeoutMs,
  keepAliveTimeoutMs: settings.keepAliveTimeoutMs,
  maxConnections: settings.maxConnections
})
