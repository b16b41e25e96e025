/**
 * The write-key check. Secrets are compared in constant time (SHA-256 of both sides, then
 * `timingSafeEqual` against every configured key, without stopping at the first match), so response
 * time does not reveal how much of a guess was right.
 */
import { createHash, timingSafeEqual } from "node:crypto"
import { Effect, Layer, Redacted } from "effect"
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

const failure = Effect.gen(function* () {
  const requestId = yield* CurrentRequestId
  return yield* unauthorized(
    "a valid write key is required: send it in X-Write-Key, or as the basic-auth username with an empty password",
    requestId
  )
})

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
