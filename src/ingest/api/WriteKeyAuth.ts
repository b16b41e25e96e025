/**
 * Write-key authentication, declared once for the server, the typed client and the OpenAPI document:
 * the key travels in `X-Write-Key`, or as the username of HTTP basic auth with an empty password (as
 * Segment's HTTP API does). When no write keys are configured every request passes.
 */
import { Context } from "effect"
import { HttpApiMiddleware, HttpApiSecurity } from "effect/http-api"
import { Unauthorized } from "../domain/IngestErrors.ts"

/** The id (never the secret) of the write key that authenticated the request; undefined when auth is off. */
export class CurrentWriteKey extends Context.Service<CurrentWriteKey, { readonly id: string | undefined }>()(
  "launchpad/ingest/CurrentWriteKey"
) {}

export class WriteKeyAuth extends HttpApiMiddleware.Service<
  WriteKeyAuth,
  { provides: CurrentWriteKey; requires: never }
>()("launchpad/ingest/WriteKeyAuth", {
  security: {
    writeKey: HttpApiSecurity.apiKey({ in: "header", key: "X-Write-Key" }),
    basic: HttpApiSecurity.basic
  },
  error: Unauthorized
}) {}
