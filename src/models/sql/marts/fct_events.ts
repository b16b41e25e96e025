import { EVENT_TYPES } from "../../../domain/Catalog.ts"
import { DeviceType } from "../../../domain/Envelope.ts"
import { acceptedValues, defineModel, notNull, relationships, unique } from "../../runner/Model.ts"
import { eventColumnDescriptions } from "../staging/stg_events.ts"

const left = new Set(["user_id", "resolved_user_id", "kafka_partition", "kafka_offset", "processed_at"])

export default defineModel({
  name: "fct_events",
  layer: "marts",
  materialized: "view",
  description:
    "The event fact: one row per event_id (stg_events' columns, de-duplicated, with typed properties and " +
    "corrected times) with user_id = the resolved user, event_user_id = the id the event was sent with, and " +
    "the session it belongs to (session_key, session_start; NULL for late events). A view over two incremental " +
    "models (stg_events' rows joined with int_events_sessionized's sessions on event_id): a third copy of " +
    "every event would grow the warehouse and every run for nothing; this is the public contract (Kafka " +
    "bookkeeping left out).",
  columns: {
    ...Object.fromEntries(
      Object.entries(eventColumnDescriptions)
        .filter(([name]) => !left.has(name))
        .map(([name, description]) => [name, { description }])
    ),
    event_id: { description: "the event", tests: [unique(), notNull()] },
    user_id: { description: "the resolved user", tests: [notNull(), relationships("dim_users", "user_id")] },
    event_user_id: { description: "user_id as the event carried it (anonymous until identify)", tests: [notNull()] },
    event_type: { description: "the event type", tests: [notNull(), acceptedValues(EVENT_TYPES)] },
    event_date: { description: "UTC date of occurred_at_corrected", tests: [notNull()] },
    context_device_type: { description: "form factor of the device", tests: [acceptedValues(DeviceType.literals)] },
    session_key: { description: "the session (int_sessions); NULL for late events" },
    session_start: { description: "start of the session" }
  }
})
