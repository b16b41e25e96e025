import { DeviceType } from "../../../domain/Envelope.ts"
import { CONFIGURATOR_EVENTS, PURCHASE_EVENT } from "../../../domain/Metrics.ts"
import { acceptedValues, defineModel, loadedAtColumn, notNull, unique } from "../../runner/Model.ts"

export default defineModel({
  name: "int_user_journeys",
  layer: "intermediate",
  materialized: "incremental",
  uniqueKey: ["user_id"],
  description:
    "One row per resolved user (stg_events.resolved_user_id) with the milestones of their journey: first and last " +
    "event, active days, the first event's device and utm (the acquisition: NULL utm = direct), the first time " +
    `they started (${CONFIGURATOR_EVENTS.started}), completed (${CONFIGURATOR_EVENTS.completed}) and shared ` +
    `(${CONFIGURATOR_EVENTS.shared}) the configurator and bought (${PURCHASE_EVENT}), orders (distinct order_id), ` +
    "sessions (int_sessions of the user's ids). 'First' is in (occurred_at_corrected, event_id) order; every event " +
    "counts, late ones included. Incremental, delete+insert of the users whose events changed since its last build.",
  columns: {
    user_id: { description: "the resolved user", tests: [unique(), notNull()] },
    first_seen_at: { description: "occurred_at_corrected of the user's first event", tests: [notNull()] },
    last_seen_at: { description: "occurred_at_corrected of the user's last event", tests: [notNull()] },
    first_seen_date: { description: "UTC date of first_seen_at (the retention cohort)", tests: [notNull()] },
    last_seen_date: { description: "UTC date of last_seen_at" },
    events: { description: "events of the user" },
    active_days: { description: "distinct UTC days with an event" },
    first_device_type: {
      description: "context_device_type of the first event",
      tests: [acceptedValues(DeviceType.literals)]
    },
    first_utm_source: { description: "context_utm_source of the first event (NULL: direct)" },
    first_utm_medium: { description: "context_utm_medium of the first event" },
    first_utm_campaign: { description: "context_utm_campaign of the first event" },
    first_touch_utm_source: { description: "utm_source of the first touch (an event whose context has a utm_source)" },
    first_touch_utm_campaign: { description: "utm_campaign of the first touch ('(none)' when it had none)" },
    last_touch_utm_source: { description: "utm_source of the last touch" },
    last_touch_utm_campaign: { description: "utm_campaign of the last touch ('(none)' when it had none)" },
    first_started_at: { description: `first ${CONFIGURATOR_EVENTS.started}` },
    first_completed_at: { description: `first ${CONFIGURATOR_EVENTS.completed}` },
    first_shared_at: { description: `first ${CONFIGURATOR_EVENTS.shared}` },
    first_purchase_at: { description: `first ${PURCHASE_EVENT}` },
    orders: { description: `distinct prop_order_id of the user's ${PURCHASE_EVENT} events` },
    completed_on_first_day: {
      description: `the user's first ${CONFIGURATOR_EVENTS.completed} is on their first-seen UTC day`,
      tests: [notNull()]
    },
    sessions: { description: "sessions (int_sessions) of the user's ids" },
    _loaded_at: loadedAtColumn
  },
  tests: [
    {
      name: "milestones_within_the_journey",
      sql: `SELECT * FROM {{ this }} WHERE last_seen_at < first_seen_at
        OR first_completed_at < first_seen_at OR first_purchase_at > last_seen_at`
    }
  ],
  vars: {
    started_event: CONFIGURATOR_EVENTS.started,
    completed_event: CONFIGURATOR_EVENTS.completed,
    shared_event: CONFIGURATOR_EVENTS.shared,
    purchase_event: PURCHASE_EVENT
  }
})
