/** The 200 answer of the event endpoints: one result per event, in request order. */
import { Schema } from "effect"
import { RejectReason } from "../../domain/RejectReason.ts"

export const EventStatus = Schema.Literals(["accepted", "rejected"])
export type EventStatus = typeof EventStatus.Type

export const EventResult = Schema.Struct({
  index: Schema.Int.annotate({ description: "position of the event in the request (0 for the single endpoint)" }),
  event_id: Schema.NullOr(Schema.String).annotate({ description: "the event's event_id, null when unreadable" }),
  status: EventStatus,
  reason: Schema.NullOr(RejectReason).annotate({ description: "why it was rejected; null when accepted" }),
  path: Schema.NullOr(Schema.String).annotate({ description: "JSON path of the offending value, e.g. $.context" }),
  message: Schema.NullOr(Schema.String).annotate({ description: "readable explanation; null when accepted" })
}).annotate({ title: "EventResult" })
export type EventResult = typeof EventResult.Type

export const IngestResponse = Schema.Struct({
  accepted: Schema.Int.annotate({ description: "events written to events_raw" }),
  rejected: Schema.Int.annotate({ description: "events written to events_deadletter" }),
  results: Schema.Array(EventResult)
}).annotate({
  title: "IngestResponse",
  description:
    "Every event is in exactly one topic before this is sent: accepted in events_raw, rejected in events_deadletter."
})
export type IngestResponse = typeof IngestResponse.Type
