/**
 * What the two event endpoints do with a parsed body, whichever server path carries the request
 * (`EventsHttp` through the `HttpApi` router, `EventsListener` in front of it): take the events out of
 * it, and describe the request for enrichment.
 */
import { Result } from "effect"
import { type BadRequest, badRequest, type PayloadTooLarge, payloadTooLarge } from "../domain/IngestErrors.ts"
import type { IngestorShape, RequestMeta } from "./Ingestor.ts"
import { parseUserAgent } from "./UserAgent.ts"

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

const single = (value: unknown): Result.Result<ReadonlyArray<unknown>, never> => Result.succeed([value])

/** The events of the request: the body itself (single) or its `events` array (batch). */
export const eventsOf = (
  value: unknown,
  batch: boolean,
  maxBatchEvents: number,
  requestId: string
): Result.Result<ReadonlyArray<unknown>, BadRequest | PayloadTooLarge> => {
  if (!batch) return single(value)
  if (!isRecord(value) || !Array.isArray(value.events)) {
    return Result.fail(badRequest("invalid_body", 'a batch must be a JSON object { "events": [...] }', requestId))
  }
  const extra = Object.keys(value).filter((key) => key !== "events")
  if (extra.length > 0) {
    const shown = extra.slice(0, 3).map((key) => JSON.stringify(key.slice(0, 64)))
    return Result.fail(badRequest("invalid_body", `unexpected key(s) in the batch: ${shown.join(", ")}`, requestId))
  }
  const events: ReadonlyArray<unknown> = value.events
  if (events.length > maxBatchEvents) {
    return Result.fail(
      payloadTooLarge(
        "too_many_events",
        `a batch holds at most ${maxBatchEvents} events, got ${events.length}`,
        maxBatchEvents,
        requestId
      )
    )
  }
  return Result.succeed(events)
}

/**
 * The client address: the first `X-Forwarded-For` hop when a proxy set one, else the socket peer. It
 * is only ever hashed (and only when LAUNCHPAD_IP_SALT is set), so a forged header can only skew
 * that hash, not grant anything.
 */
export const clientAddress = (forwardedFor: string | undefined, peer: string | undefined): string | undefined => {
  if (forwardedFor !== undefined) {
    const first = forwardedFor.split(",")[0]?.trim()
    if (first !== undefined && first !== "") return first
  }
  return peer
}

export interface RequestFacts {
  readonly requestId: string
  readonly receivedAtMs: number
  readonly writeKeyId: string | undefined
  readonly forwardedFor: string | undefined
  readonly peer: string | undefined
  readonly userAgent: string | undefined
}

export const requestMeta = (ingestor: IngestorShape, facts: RequestFacts): RequestMeta => ({
  requestId: facts.requestId,
  receivedAtMs: facts.receivedAtMs,
  writeKeyId: facts.writeKeyId,
  ipHash: ingestor.ipHash(clientAddress(facts.forwardedFor, facts.peer)),
  userAgent: facts.userAgent === undefined ? undefined : parseUserAgent(facts.userAgent)
})
