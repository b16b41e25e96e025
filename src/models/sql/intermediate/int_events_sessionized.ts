import { SESSION_GAP_MS, SESSION_MAX_MS } from "../../../domain/SessionRecord.ts"
import { defineModel, loadedAtColumn, notNull, relationships, unique } from "../../runner/Model.ts"
import { eventColumnDescriptions } from "../staging/stg_events.ts"

const carried = [
  "event_type",
  "occurred_at_corrected",
  "is_late",
  "context_device_type",
  "context_utm_source",
  "context_utm_medium",
  "context_utm_campaign",
  "kafka_partition",
  "kafka_offset"
]

const minutes = (ms: number) => ms / 60_000

export default defineModel({
  name: "int_events_sessionized",
  layer: "intermediate",
  materialized: "incremental",
  uniqueKey: ["user_id"],
  description:
    "Every stg_events row (the columns sessions need: ids, type, time, late flag, device, utm, Kafka position) " +
    "with the session it belongs to, by ARCHITECTURE.md's rules (Stream semantics: Sessions), which the stream " +
    `applies too: per user_id (the stream's key, not resolved), over the events that are not late, in ` +
    `(occurred_at_corrected, event_id) order, a gap of more than ${minutes(SESSION_GAP_MS)} minutes to the ` +
    `previous event starts a new session (a gap of exactly ${minutes(SESSION_GAP_MS)} minutes continues it), ` +
    `and so does an event more than ${minutes(SESSION_MAX_MS) / 60} hours after the current session's start ` +
    "(PostHog's cap). Late events keep NULL session columns. Incremental, delete+insert per user_id: the " +
    "users of the stg_events rows loaded since its last build are recomputed from all their events, so an " +
    "incremental run equals a full refresh (see the SQL).",
  columns: {
    ...Object.fromEntries(
      carried.map((name) => [name, { description: `stg_events.${name}: ${eventColumnDescriptions[name] ?? name}` }])
    ),
    event_id: { description: "the event (one row each, as stg_events)", tests: [unique(), notNull()] },
    user_id: { description: "the user the stream sessionizes by (stg_events.user_id)", tests: [notNull()] },
    resolved_user_id: { description: "stg_events.resolved_user_id", tests: [notNull()] },
    session_key: {
      description: "user_id || ':' || epoch_ms(session_start), as the stream names sessions; NULL for late events",
      tests: [relationships("int_sessions", "session_key")]
    },
    session_start: { description: "occurred_at_corrected of the session's first event; NULL for late events" },
    _loaded_at: loadedAtColumn
  },
  tests: [
    {
      name: "late_events_have_no_session",
      sql: "SELECT event_id FROM {{ this }} WHERE is_late = (session_key IS NOT NULL)"
    },
    {
      name: "same_rows_as_stg_events",
      description: "every stg_events row once, none else",
      sql: `SELECT coalesce(s.event_id, e.event_id) AS event_id FROM {{ this }} s
        FULL JOIN {{ ref('stg_events') }} e ON s.event_id = e.event_id
        WHERE s.event_id IS NULL OR e.event_id IS NULL OR s.kafka_offset <> e.kafka_offset
          OR s.resolved_user_id <> e.resolved_user_id`
    }
  ],
  vars: { session_gap_ms: SESSION_GAP_MS, session_max_ms: SESSION_MAX_MS }
})
