/**
 * The `events_deadletter` record: a contract shared by ingest (events refused at the door) and the
 * stream processor (records on `events_raw` it cannot decode). Each record says why (reason code, JSON
 * path, message), keeps the input as received (up to a size bound, flagged when cut), and who sent it
 * when, so `launchpad dlq replay` can re-validate it after a schema fix.
 */
import { Schema } from "effect"
import { RejectReason } from "./RejectReason.ts"
import { Timestamp } from "./Timestamp.ts"

export const DeadLetterSource = Schema.Literals(["ingest", "stream"]).annotate({
  description: "the component that refused the input"
})

/** Where a record came from when the stream processor dead-letters it. */
export const KafkaOrigin = Schema.Struct({
  topic: Schema.String,
  partition: Schema.Int,
  offset: Schema.String.annotate({ description: "decimal offset (64-bit)" })
})

export const DeadLetterRecord = Schema.Struct({
  reason: RejectReason,
  path: Schema.String.annotate({ description: "JSON path of the offending value, $ for the whole input" }),
  message: Schema.String,
  source: DeadLetterSource,
  raw: Schema.String.annotate({ description: "the event as received (JSON text), cut to the size bound" }),
  raw_truncated: Schema.Boolean.annotate({ description: "true when raw was cut; such a record cannot be replayed" }),
  raw_bytes: Schema.Int.annotate({ description: "UTF-8 size of the full input before any cut" }),
  event_id: Schema.NullOr(Schema.String).annotate({ description: "the input's event_id when it had a string one" }),
  event_type: Schema.NullOr(Schema.String).annotate({ description: "the input's event_type when it had a string one" }),
  index: Schema.NullOr(Schema.Int).annotate({ description: "position in the ingest request; null from the stream" }),
  received_at: Timestamp.annotate({ description: "server clock when the input was received" }),
  request_id: Schema.NullOr(Schema.String).annotate({ description: "ingest request id; null from the stream" }),
  write_key_id: Schema.NullOr(Schema.String).annotate({ description: "write key that sent it, if any" }),
  origin: Schema.NullOr(KafkaOrigin).annotate({ description: "the Kafka record, when the stream refused it" })
}).annotate({ title: "DeadLetterRecord" })
export type DeadLetterRecord = typeof DeadLetterRecord.Type

/** Header carrying the reason, so tools can filter without decoding values. */
export const REASON_HEADER = "reason"

const utf8 = new TextEncoder()

/**
 * Cuts `raw` to at most `maxBytes` UTF-8 bytes (never inside a character). Returns the text and its
 * full size; callers flag the record as truncated when the two differ.
 */
export const boundRaw = (raw: string, maxBytes: number): { readonly text: string; readonly bytes: number } => {
  // Each UTF-16 unit is at most 3 UTF-8 bytes, so short strings need no measuring.
  if (raw.length * 3 <= maxBytes) return { text: raw, bytes: Buffer.byteLength(raw, "utf8") }
  const bytes = Buffer.byteLength(raw, "utf8")
  if (bytes <= maxBytes) return { text: raw, bytes }
  const encoded = utf8.encode(raw)
  let end = maxBytes
  // Step back over UTF-8 continuation bytes (10xxxxxx) so the cut lands on a character boundary.
  while (end > 0 && ((encoded[end] ?? 0) & 0xc0) === 0x80) end--
  return { text: Buffer.from(encoded.buffer, encoded.byteOffset, end).toString("utf8"), bytes }
}

const encodeRecord = Schema.encodeSync(DeadLetterRecord)

/** The record as a Kafka value (JSON text). */
export const encodeDeadLetter = (record: DeadLetterRecord): string => JSON.stringify(encodeRecord(record))

/** Parses and validates an `events_deadletter` value. */
export const decodeDeadLetterJson = Schema.decodeUnknownResult(Schema.fromJsonString(DeadLetterRecord))
