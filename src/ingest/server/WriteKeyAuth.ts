/**
 * The write-key check. Secrets are compared in constant time (SHA-256 of both sides, then
 * `timingSafeEqual` against every configured key, without stopping at the first match), so response
 * time does not reveal how much of a guess was right.
 */
import { createHash, timingSafeEqual } from "node:crypto"
import { Effect, Layer, Redacted, Result } from "effect"
import { Base64 } from "effect/encoding"
import { Settings } from "../../domain/Settings.ts"
import { CurrentWriteKey, WriteKeyAuth } from "../api/WriteKeyAuth.ts"
import { unauthorized } from "../domain/IngestErrors.ts"
import { CurrentRequestId } from "./RequestContext.ts"

const digest = (secret: string): Buffer => createHash("sha256").update(secret, "utf8").digest()

export interface WriteKeyMatcher {
  readonly enabled: boolean
  /** The id of the key whose secret is `candidate`, if any. */
  readonly match: (candidate: string) => string | undefined
}

export const makeMatcher = (
  keys: ReadonlyArray<{ readonly id: string; readonly secret: Redacted.Redacted<string> }>
) => {
  const digests = keys.map((key) => ({ id: key.id, digest: digest(Redacted.value(key.secret)) }))
  return {
    enabled: digests.length > 0,
    match: (candidate: string) => {
      if (candidate === "") return undefined
      const given = digest(candidate)
      let found: string | undefined
      for (const key of digests) {
        if (timingSafeEqual(given, key.digest) && found === undefined) found = key.id
      }
      return found
    }
  } satisfies WriteKeyMatcher
}

export const unauthorizedError = (requestId: string) =>
  unauthorized(
    "a valid write key is required: send it in X-Write-Key, or as the basic-auth username with an empty password",
    requestId
  )

const failure = Effect.flatMap(CurrentRequestId, (requestId) => Effect.fail(unauthorizedError(requestId)))

/**
 * The candidate secrets of a request, in the order `WriteKeyAuth` declares its schemes: the
 * `X-Write-Key` header, then the basic-auth username (RFC 7617: the user-id ends at the first colon).
 * For the listener path; the `HttpApi` path gets the same values from the security schemes.
 */
export const credentialsOf = (writeKey: string | undefined, authorization: string | undefined): Array<string> => {
  const candidates = [writeKey ?? ""]
  // RFC 9110 §11.1: the scheme is case-insensitive and the credentials follow one or more spaces.
  if (authorization === undefined || !/^basic +\S/i.test(authorization)) return candidates
  const decoded = Result.getOrUndefined(Base64.decodeString(authorization.slice(6).trimStart()))
  const separator = decoded?.indexOf(":") ?? -1
  if (decoded !== undefined && separator !== -1) candidates.push(decoded.slice(0, separator))
  return candidates
}

export const WriteKeyAuthLayer = Layer.effect(
  WriteKeyAuth,
  Effect.gen(function* () {
    const settings = yield* Settings
    const matcher = makeMatcher(settings.writeKeys)
    const check = (candidate: string) => {
      if (!matcher.enabled) return Effect.succeed(CurrentWriteKey.of({ id: undefined }))
      const id = matcher.match(candidate)
      return id === undefined ? failure : Effect.succeed(CurrentWriteKey.of({ id }))
    }
    return WriteKeyAuth.of({
      writeKey: (httpEffect, { credential }) =>
        Effect.flatMap(check(Redacted.value(credential)), (key) =>
          Effect.provideService(httpEffect, CurrentWriteKey, key)
        ),
      basic: (httpEffect, { credential }) =>
        Effect.flatMap(check(credential.username), (key) => Effect.provideService(httpEffect, CurrentWriteKey, key))
    })
  })
)
