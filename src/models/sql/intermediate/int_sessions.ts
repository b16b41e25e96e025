import { EVENT_TYPES } from "../../../domain/Catalog.ts"
import { DeviceType } from "../../../domain/Envelope.ts"
import { SESSION_GAP_MS, SESSION_MAX_MS } from "../../../domain/SessionRecord.ts"
import { acceptedValues, defineModel, loadedAtColumn, notNull, unique } from "../../runner/Model.ts"

const minutes = (ms: number) => ms / 60_000

const sessionColumns = [
  "session_key",
  "user_id",
  "session_start",
  "session_end",
  "event_count",
  "first_event_type",
  "last_event_type",
  "device_type",
  "utm_source",
  "utm_medium",
  "utm_campaign",
  "is_bounce",
  "is_converted",
  "kafka_partition"
].join(", ")

export default defineModel({
  name: "int_sessions",
  layer: "intermediate",
  materialized: "incremental",
  uniqueKey: ["user_id"],
  description:
    "One row per session, computed from the events by ARCHITECTURE.md's rules (Stream semantics: Sessions) (int_events_sessionized: per user_id in " +
    `(occurred_at_corrected, event_id) order over the events that are not late, a gap of more than ` +
    `${minutes(SESSION_GAP_MS)} minutes or a span of more than ${minutes(SESSION_MAX_MS) / 60} hours starts a ` +
    "new session). For the same events it equals the stream's closed sessions (lake/sessions, stg_sessions) " +
    "column for column; it also holds the sessions the stream has not closed yet (the watermark has not " +
    "passed their last event + the gap). Attributes come from the session's first event; duration = last − " +
    "first event time (PostHog's session duration). Incremental, delete+insert per user_id: the sessions of the " +
    "users int_events_sessionized recomputed since this model's last build.",
  columns: {
    session_key: {
      description: "user_id || ':' || epoch_ms(session_start), as the stream names sessions",
      tests: [unique(), notNull()]
    },
    user_id: { description: "the user the stream sessionizes by (not resolved)", tests: [notNull()] },
    resolved_user_id: { description: "the resolved user (stg_events.resolved_user_id)", tests: [notNull()] },
    session_start: { description: "occurred_at_corrected of the first event", tests: [notNull()] },
    session_end: { description: "occurred_at_corrected of the last event (not + gap)", tests: [notNull()] },
    event_count: { description: "events in the session", tests: [notNull()] },
    first_event_type: { description: "event_type of the first event", tests: [acceptedValues(EVENT_TYPES)] },
    last_event_type: { description: "event_type of the last event", tests: [acceptedValues(EVENT_TYPES)] },
    device_type: {
      description: "context_device_type of the first event",
      tests: [acceptedValues(DeviceType.literals)]
    },
    utm_source: { description: "context_utm_source of the first event (NULL when it had none)" },
    utm_medium: { description: "context_utm_medium of the first event" },
    utm_campaign: { description: "context_utm_campaign of the first event" },
    is_bounce: { description: "exactly one event" },
    is_converted: { description: "has a purchase event" },
    kafka_partition: { description: "events_raw partition of the first event's kept copy" },
    duration_s: { description: "session_end − session_start in seconds" },
    session_date: { description: "UTC date of session_start" },
    _loaded_at: loadedAtColumn
  },
  tests: [
    {
      name: "within_the_rules",
      description: "no session spans more than the cap; every session has at least one event",
      sql: `SELECT * FROM {{ this }} WHERE event_count < 1 OR session_end < session_start
        OR epoch_ms(session_end) - epoch_ms(session_start) > {{ var('session_max_ms') }}`
    },
    {
      name: "equals_stream_sessions",
      description:
        "batch = stream (ARCHITECTURE.md, guarantee 5): every session the stream closed is here with the same columns. A warning, " +
        "not an error: copies of one event whose corrected times differ (a retry whose sent_at skew differed) can " +
        "make the stream and stg_events keep different copies, and a run can see a session the stream closed " +
        "while the model's events are older",
      severity: "warn",
      sql: `SELECT ${sessionColumns} FROM {{ ref('stg_sessions') }}
        EXCEPT SELECT ${sessionColumns} FROM {{ this }}`
    }
  ],
  vars: { session_max_ms: SESSION_MAX_MS }
})
