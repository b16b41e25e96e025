/**
 * What ingest adds to a decoded event before producing it to `events_raw`, including the clock-skew
 * correction: the client's clock is trusted for intervals (occurred_at → sent_at), the server's for the
 * instant (received_at).
 */
import type { EnrichedEvent, TrackEvent } from "./Catalog.ts"
import { epochMillis, formatTimestamp, MIN_TIMESTAMP_MS } from "./Timestamp.ts"

export interface IngestMetadata {
  /** Server clock at receipt, epoch milliseconds. */
  readonly receivedAtMs: number
  readonly requestId: string
  readonly writeKeyId?: string | undefined
  /** Salted SHA-256 hex of the client IP; omitted when no salt is configured. */
  readonly ipHash?: string | undefined
}

/** `occurred_at + (received_at − sent_at)` when the client sent `sent_at`, else `occurred_at`; not clamped. */
export const skewCorrectedMs = (event: TrackEvent, receivedAtMs: number): number => {
  const occurred = epochMillis(event.occurred_at)
  const skew = event.sent_at === undefined ? 0 : receivedAtMs - epochMillis(event.sent_at)
  return occurred + skew
}

/** Ingest refuses events further in the future than this after skew correction (PostHog flags 23 h). */
export const MAX_FUTURE_MS = 24 * 3_600_000

const clampCorrected = (correctedMs: number, receivedAtMs: number): number =>
  Math.min(receivedAtMs, Math.max(MIN_TIMESTAMP_MS, correctedMs))

/**
 * `skewCorrectedMs` clamped to `[2000-01-01, received_at]` so that a skewed or lying client can neither
 * post-date events nor push them out of the lake's range (ingest refuses anything more than
 * `MAX_FUTURE_MS` ahead first, see `enrichInRange`, so the clamp only absorbs small forward skew).
 */
export const correctedOccurredAtMs = (event: TrackEvent, receivedAtMs: number): number =>
  clampCorrected(skewCorrectedMs(event, receivedAtMs), receivedAtMs)

/**
 * Every event of a request shares `receivedAtMs`, so its text is formatted once per request rather than
 * once per event (a one-entry memo; formatting is pure, so it can never be stale).
 */
let lastReceivedMs = Number.NaN
let lastReceivedAt = ""
const receivedAtText = (millis: number): string => {
  if (millis !== lastReceivedMs) {
    lastReceivedAt = formatTimestamp(millis)
    lastReceivedMs = millis
  }
  return lastReceivedAt
}

const build = (event: TrackEvent, meta: IngestMetadata, correctedMs: number): EnrichedEvent => ({
  ...event,
  received_at: receivedAtText(meta.receivedAtMs),
  occurred_at_corrected: formatTimestamp(correctedMs),
  request_id: meta.requestId,
  ...(meta.writeKeyId === undefined ? {} : { write_key_id: meta.writeKeyId }),
  ...(meta.ipHash === undefined ? {} : { ip_hash: meta.ipHash })
})

/** The event as it goes on `events_raw`. */
export const enrich = (event: TrackEvent, meta: IngestMetadata): EnrichedEvent =>
  build(event, meta, correctedOccurredAtMs(event, meta.receivedAtMs))

/**
 * What ingest does: `enrich`, or undefined when the skew-corrected time is more than `MAX_FUTURE_MS`
 * after `received_at` (a reject, not a clamp). One correction serves both, so they cannot disagree.
 */
export const enrichInRange = (event: TrackEvent, meta: IngestMetadata): EnrichedEvent | undefined => {
  const corrected = skewCorrectedMs(event, meta.receivedAtMs)
  return corrected > meta.receivedAtMs + MAX_FUTURE_MS
    ? undefined
    : build(event, meta, clampCorrected(corrected, meta.receivedAtMs))
}

/**
 * `JSON.stringify(enrichInRange(event, meta))` without building the enriched object: the event's JSON
 * with the ingest fields appended. The fields that are the same for every event of a request come
 * from `requestTail` (built once per request), so per event only `occurred_at_corrected` is formatted.
 * Same text as stringifying `enrichInRange`'s result (the spread keeps the event's keys first, in their
 * order, and a decoded event has none of the ingest fields); a test checks the equality.
 */
export const enrichedJsonInRange = (event: TrackEvent, meta: IngestMetadata, tail: RequestTail): string | undefined => {
  const corrected = skewCorrectedMs(event, meta.receivedAtMs)
  if (corrected > meta.receivedAtMs + MAX_FUTURE_MS) return undefined
  const json = JSON.stringify(event)
  return `${json.slice(0, -1)},"received_at":${tail.receivedAt},"occurred_at_corrected":"${formatTimestamp(
    clampCorrected(corrected, meta.receivedAtMs)
  )}"${tail.rest}}`
}

/** The JSON of the ingest fields shared by every event of one request (see `enrichedJsonInRange`). */
export interface RequestTail {
  readonly receivedAt: string
  readonly rest: string
}

export const requestTail = (meta: IngestMetadata): RequestTail => ({
  receivedAt: JSON.stringify(formatTimestamp(meta.receivedAtMs)),
  rest:
    `,"request_id":${JSON.stringify(meta.requestId)}` +
    (meta.writeKeyId === undefined ? "" : `,"write_key_id":${JSON.stringify(meta.writeKeyId)}`) +
    (meta.ipHash === undefined ? "" : `,"ip_hash":${JSON.stringify(meta.ipHash)}`)
})
