/**
 * Why an event was refused. Ingest answers with these codes, the dead-letter topic stores them and the
 * stream processor counts them, so the set is closed: adding a code is a contract change.
 */
import { Schema } from "effect"

export const RejectReason = Schema.Literals([
  "invalid_json",
  "schema_violation",
  "missing_field",
  "unexpected_field",
  "unknown_event_type",
  "unsupported_schema_version",
  "too_large",
  "too_deep",
  "invalid_uuid",
  "invalid_unicode",
  "invalid_timestamp",
  "timestamp_out_of_range",
  "non_finite_number",
  "value_out_of_range",
  "invalid_currency"
]).annotate({ title: "RejectReason", description: "Closed set of reasons an event is refused" })

export type RejectReason = typeof RejectReason.Type

/**
 * Annotation key that tags a check (or a schema node) with the reason its failure maps to; the decoder
 * reads it from the first failing issue, so reasons live next to the rule that produces them.
 */
export const rejectReasonKey = "rejectReason"

export const reason = (code: RejectReason): { readonly [rejectReasonKey]: RejectReason } => ({
  [rejectReasonKey]: code
})

/** A refused event: the reason code, the JSON path of the offending value (`$.properties.items[2].unit_price`) and a readable message. */
export class EventRejection extends Schema.TaggedError<EventRejection>()("EventRejection", {
  reason: RejectReason,
  path: Schema.String,
  message: Schema.String
}) {}
