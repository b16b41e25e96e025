/**
 * What the processor makes of one `events_raw` record: the domain Schema decodes it into an
 * `EnrichedEvent`, mapped to the core's `StreamEvent` (carrying along what the lake row is written
 * from: the record's JSON text, or the decoded event), or it becomes a dead letter with the reason,
 * path and raw text, never a crash.
 */
import { Result } from "effect"
import type { EnrichedEvent } from "../domain/Catalog.ts"
import { boundRaw, type DeadLetterRecord } from "../domain/DeadLetter.ts"
import { decodeEnrichedEvent, decodeEnrichedEventJson } from "../domain/EventCodec.ts"
import { jsonDepthExceeds, tooDeepMessage } from "../domain/JsonDepth.ts"
import { EventRejection } from "../domain/RejectReason.ts"
import { epochMillis, formatTimestamp, MAX_TIMESTAMP_MS, MIN_TIMESTAMP_MS } from "../domain/Timestamp.ts"
import type { ConsumedMessage, RecordBatch } from "../kafka/EventConsumer.ts"
import type { EventLakeSource } from "../lake/LakeTable.ts"
import { type RawEventJson, rawEventJson } from "../lake/RawJson.ts"
import type { StreamEvent } from "./StreamEvent.ts"

/**
 * A stream event that keeps what the lake row is written from: the record's JSON text when the lake
 * may copy it (RawJson.ts), else the decoded event.
 */
export interface ProcessorEvent extends StreamEvent {
  readonly lake: EventLakeSource
  readonly offset: bigint
}

/**
 * Event time is `occurred_at_corrected`: the client's time after skew correction, clamped to
 * `received_at` by ingest. A client with a clock in the future can therefore not push W ahead (which
 * would make everybody else's events late), and it is the column the lake partitions by, so the SQL
 * models walk the same times.
 */
export const toStreamEvent = (
  event: EnrichedEvent,
  partition: number,
  offset: bigint,
  raw?: RawEventJson
): ProcessorEvent => {
  const eventTimeMs = epochMillis(event.occurred_at_corrected)
  return {
    eventId: event.event_id,
    userId: event.user_id,
    eventType: event.event_type,
    eventTimeMs,
    receivedAtMs: epochMillis(event.received_at),
    partition,
    offset,
    deviceType: event.context.device_type,
    utmSource: event.context.utm_source ?? null,
    utmMedium: event.context.utm_medium ?? null,
    utmCampaign: event.context.utm_campaign ?? null,
    revenue: event.event_type === "purchase" ? event.properties.revenue : null,
    currency: event.event_type === "purchase" ? event.properties.currency : null,
    lake: raw === undefined ? { event } : { rawJson: raw, eventTimeMs }
  }
}

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
  // Another producer on a real cluster may write anything; nesting is bounded before parsing (JsonDepth.ts).
  const tooDeep = jsonDepthExceeds(message.value)
  const parsed = tooDeep ? undefined : parseQuietly(text)
  // `decodeEnrichedEventJson` is `JSON.parse` inside a Schema transformation, which costs ~2 µs a record
  // on top of the parse; only text that does not parse goes through it, for its rejection.
  const decoded = tooDeep
    ? Result.fail(new EventRejection({ reason: "too_deep", path: "$", message: tooDeepMessage() }))
    : parsed === undefined
      ? decodeEnrichedEventJson(text)
      : decodeEnrichedEvent(parsed)
  if (Result.isSuccess(decoded)) {
    const raw = parsed === undefined ? undefined : rawEventJson(text, parsed)
    return { _tag: "Event", event: toStreamEvent(decoded.success, partition, message.offset, raw) }
  }
  const rejection = decoded.failure
  const raw = boundRaw(text, maxRawBytes)
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

/** A record as the core takes it: its offset and what it decoded to. */
export interface InputRecord {
  readonly offset: bigint
  readonly decoded: DecodedRecord
}

/** A fetched record batch, decoded (see `decodeBatch`). */
export interface DecodedBatch {
  readonly topic: string
  readonly partition: number
  readonly highWatermark: bigint
  /** Records still in the partition after this batch when it was fetched (high watermark − next offset). */
  readonly lag: bigint
  readonly records: ReadonlyArray<InputRecord>
}

/**
 * Decodes every record of a fetched batch. Decoding depends on nothing but the record, so the processor
 * runs it as batches arrive, ahead of the micro-batch that will use them: the next micro-batch is
 * decoded while the current one waits for DuckDB and the file system (pipelining on the second core).
 * Records of a partition the processor does not hold by then are decoded for nothing, and dropped.
 */
export const decodeBatch = (batch: RecordBatch, maxRawBytes: number): DecodedBatch => ({
  topic: batch.topic,
  partition: batch.partition,
  highWatermark: batch.highWatermark,
  lag: batch.highWatermark - batch.lastOffset - 1n,
  records: batch.messages.map((message) => ({
    offset: message.offset,
    decoded: decodeRecord(batch.topic, batch.partition, message, maxRawBytes)
  }))
})
