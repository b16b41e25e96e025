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

const build = (event: TrackEvent, meta: IngestMetadata, correctedMs: number): EnrichedEvent => ({
  ...event,
  received_at: formatTimestamp(meta.receivedAtMs),
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
