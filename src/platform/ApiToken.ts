/**
 * The read-and-run token (LAUNCHPAD_API_TOKEN): when it is set, every read endpoint (KPIs, the live
 * feed, reports, exports, models, schemas) and every run endpoint needs `Authorization: Bearer
 * <token>`; health, metrics and the event POSTs (which have write keys) stay open. Declared once as an
 * `HttpApi` security middleware, so the server, the typed client and the OpenAPI document agree. The
 * comparison takes the same time whatever the guess (SHA-256 of both sides, `timingSafeEqual`).
 */
import { createHash, timingSafeEqual } from "node:crypto"
import { Effect, Layer, Option, Redacted, Schema } from "effect"
import { HttpApiMiddleware, HttpApiSecurity } from "effect/http-api"
import { Settings } from "../domain/Settings.ts"

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

const digest = (secret: string): Buffer => createHash("sha256").update(secret, "utf8").digest()

/** Whether `candidate` is the token (constant time); everything passes when no token is configured. */
export const tokenMatcher = (token: Option.Option<Redacted.Redacted<string>>) => {
  if (Option.isNone(token)) return (_candidate: string) => true
  const expected = digest(Redacted.value(token.value))
  return (candidate: string) => candidate !== "" && timingSafeEqual(digest(candidate), expected)
}

const refused = new TokenRequired({
  error: {
    status: 401,
    code: "unauthorized",
    message: "this endpoint needs Authorization: Bearer <LAUNCHPAD_API_TOKEN>"
  }
})

/** The middleware's implementation for `token`. */
export const apiTokenLayer = (token: Option.Option<Redacted.Redacted<string>>) => {
  const matches = tokenMatcher(token)
  return Layer.succeed(
    ApiToken,
    ApiToken.of({
      bearer: (effect, { credential }) => (matches(Redacted.value(credential)) ? effect : Effect.fail(refused))
    })
  )
}

/** The middleware for the configured LAUNCHPAD_API_TOKEN. */
export const ApiTokenLayer = Layer.unwrap(Effect.map(Settings, (settings) => apiTokenLayer(settings.apiToken)))
