/**
 * What the processor makes of one `events_raw` record: the domain Schema decodes it into an
 * `EnrichedEvent`, mapped to the core's `StreamEvent` (carrying the enriched event along for the
 * lake), or it becomes a dead letter with the reason, path and raw text, never a crash.
 */
import { Result } from "effect"
import type { EnrichedEvent } from "../domain/Catalog.ts"
import { decodeEnrichedEventJson } from "../domain/EventCodec.ts"
import { epochMillis, formatTimestamp, MAX_TIMESTAMP_MS, MIN_TIMESTAMP_MS } from "../domain/Timestamp.ts"
import { boundRaw, type DeadLetterRecord } from "../ingest/domain/DeadLetter.ts"
import type { ConsumedMessage } from "../kafka/EventConsumer.ts"
import type { StreamEvent } from "./StreamEvent.ts"

/** A stream event that keeps the decoded record, so the lake row is written from the very event. */
export interface ProcessorEvent extends StreamEvent {
  readonly enriched: EnrichedEvent
  readonly offset: bigint
}

/** The configurator funnel step each event type marks (the live funnel sums these per minute). */
export const FUNNEL_STEPS: Readonly<Record<string, string>> = {
  quiz_started: "started",
  quiz_step_viewed: "step_viewed",
  quiz_completed: "completed",
  result_viewed: "result_viewed",
  purchase: "purchased"
}

/**
 * Event time is `occurred_at_corrected`: the client's time after skew correction, clamped to
 * `received_at` by ingest. A client with a clock in the future can therefore not push W ahead (which
 * would make everybody else's events late), and it is the column the lake partitions by, so the SQL
 * models walk the same times.
 */
export const toStreamEvent = (event: EnrichedEvent, partition: number, offset: bigint): ProcessorEvent => ({
  eventId: event.event_id,
  userId: event.user_id,
  eventType: event.event_type,
  eventTimeMs: epochMillis(event.occurred_at_corrected),
  receivedAtMs: epochMillis(event.received_at),
  partition,
  offset,
  deviceType: event.context.device_type,
  utmSource: event.context.utm_source ?? null,
  utmMedium: event.context.utm_medium ?? null,
  utmCampaign: event.context.utm_campaign ?? null,
  revenue: event.event_type === "purchase" ? event.properties.revenue : null,
  currency: event.event_type === "purchase" ? event.properties.currency : null,
  funnelStep: FUNNEL_STEPS[event.event_type] ?? null,
  enriched: event
})

const utf8 = new TextDecoder("utf-8")

/** event_id / event_type of an undecodable record when it is JSON with such string fields (for replay tools). */
const peekField = (parsed: unknown, field: string): string | null => {
  if (typeof parsed !== "object" || parsed === null || !(field in parsed)) return null
  const value: unknown = Reflect.get(parsed, field)
  return typeof value === "string" ? value.slice(0, 200) : null
}

const parseQuietly = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

export type DecodedRecord =
  | { readonly _tag: "Event"; readonly event: ProcessorEvent }
  | { readonly _tag: "DeadLetter"; readonly record: DeadLetterRecord }

/** Decodes one record; `maxRawBytes` bounds the raw text a dead letter keeps. */
export const decodeRecord = (
  topic: string,
  partition: number,
  message: ConsumedMessage,
  maxRawBytes: number
): DecodedRecord => {
  const text = utf8.decode(message.value)
  const decoded = decodeEnrichedEventJson(text)
  if (Result.isSuccess(decoded)) {
    return { _tag: "Event", event: toStreamEvent(decoded.success, partition, message.offset) }
  }
  const rejection = decoded.failure
  const raw = boundRaw(text, maxRawBytes)
  const parsed = parseQuietly(text)
  return {
    _tag: "DeadLetter",
    record: {
      reason: rejection.reason,
      path: rejection.path,
      message: rejection.message,
      source: "stream",
      raw: raw.text,
      raw_truncated: raw.text.length !== text.length,
      raw_bytes: raw.bytes,
      event_id: peekField(parsed, "event_id"),
      event_type: peekField(parsed, "event_type"),
      index: null,
      // The Kafka record's timestamp (when the producer sent it), kept inside the Timestamp range.
      received_at: formatTimestamp(Math.min(MAX_TIMESTAMP_MS - 1, Math.max(MIN_TIMESTAMP_MS, message.timestamp || 0))),
      request_id: null,
      write_key_id: null,
      origin: { topic, partition, offset: message.offset.toString() }
    }
  }
}
