/**
 * The read-and-run token (LAUNCHPAD_API_TOKEN): when it is set, every read endpoint (KPIs, the live
 * feed, reports, exports, models, schemas) and every run endpoint needs `Authorization: Bearer
 * <token>`; health, metrics and the event POSTs (which have write keys) stay open. Declared once as an
 * `HttpApi` security middleware, so the server, the typed client and the OpenAPI document agree.
 *
 * This file is the declaration only (the typed client in the browser imports it); the check is in
 * ApiTokenCheck.ts.
 */
import { Schema } from "effect"
import { HttpApiMiddleware, HttpApiSecurity } from "effect/http-api"

/** 401: the token is required and missing or wrong. */
export class TokenRequired extends Schema.TaggedError<TokenRequired>()(
  "TokenRequired",
  {
    error: Schema.Struct({
      status: Schema.Literal(401),
      code: Schema.Literal("unauthorized"),
      message: Schema.String
    })
  },
  { httpApiStatus: 401 }
) {}

export class ApiToken extends HttpApiMiddleware.Service<ApiToken>()("launchpad/platform/ApiToken", {
  security: { bearer: HttpApiSecurity.bearer },
  error: TokenRequired
}) {}
