import { EVENT_TYPES } from "../../../domain/Catalog.ts"
import { DeviceType } from "../../../domain/Envelope.ts"
import { SESSION_GAP_MS, SESSION_MAX_MS } from "../../../domain/SessionRecord.ts"
import type { sessionsTable } from "../../../lake/LakeTable.ts"
import { acceptedValues, type ColumnDeclaration, defineModel, notNull, unique } from "../../runner/Model.ts"

const minutes = (ms: number) => ms / 60_000

/** Every lake/sessions column (a test checks the list against the lake table). */
const columns: Record<(typeof sessionsTable)["columns"][number]["name"], ColumnDeclaration> = {
  session_key: {
    description: "user_id || ':' || epoch_ms(session_start): the session's identity",
    tests: [unique(), notNull()]
  },
  user_id: { description: "the user as the stream keys events (stg_events.user_id, not resolved)", tests: [notNull()] },
  session_start: { description: "occurred_at_corrected of the session's first event", tests: [notNull()] },
  session_end: { description: "occurred_at_corrected of the session's last event (not + gap)", tests: [notNull()] },
  event_count: { description: "accepted (not late, not duplicate) events in the session" },
  first_event_type: { description: "event_type of the first event", tests: [acceptedValues(EVENT_TYPES)] },
  last_event_type: { description: "event_type of the last event", tests: [acceptedValues(EVENT_TYPES)] },
  device_type: { description: "context_device_type of the first event", tests: [acceptedValues(DeviceType.literals)] },
  utm_source: { description: "context_utm_source of the first event" },
  utm_medium: { description: "context_utm_medium of the first event" },
  utm_campaign: { description: "context_utm_campaign of the first event" },
  is_bounce: { description: "the session has exactly one event" },
  is_converted: { description: "the session has a purchase event" },
  kafka_partition: { description: "events_raw partition of the session's first event" },
  processed_at: { description: "when the stream processor wrote the session" }
}

export default defineModel({
  name: "stg_sessions",
  layer: "staging",
  materialized: "table",
  description:
    `Every session the stream closed (lake/sessions), once per session_key. The stream's rules (ARCHITECTURE.md, ` +
    `"Sessions"): per user_id in event-time order (occurred_at_corrected, then event_id), a gap of more than ` +
    `${minutes(SESSION_GAP_MS)} minutes starts a new session (exactly ${minutes(SESSION_GAP_MS)} continues it), ` +
    `and so does an event more than ${minutes(SESSION_MAX_MS) / 60} hours after the session's start; late and ` +
    "duplicate events take no part. A session is written once the watermark passes its last event + the gap, so " +
    "the newest sessions are not here yet. int_sessions computes the same sessions from the events.",
  columns,
  tests: [
    {
      name: "end_not_before_start",
      sql: "SELECT * FROM {{ this }} WHERE session_end < session_start OR event_count < 1"
    },
    {
      name: "within_the_cap",
      description: "no session spans more than the cap",
      sql: "SELECT * FROM {{ this }} WHERE epoch_ms(session_end) - epoch_ms(session_start) > {{ var('session_max_ms') }}"
    }
  ],
  vars: { session_max_ms: SESSION_MAX_MS }
})
