/**
 * The server side of the read-and-run token (ApiToken.ts): the comparison takes the same time whatever
 * the guess (SHA-256 of both sides, `timingSafeEqual`).
 */
import { createHash, timingSafeEqual } from "node:crypto"
import { Effect, Layer, Option, Redacted } from "effect"
import { Settings } from "../domain/Settings.ts"
import { ApiToken, TokenRequired } from "./ApiToken.ts"

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
