import { DeviceType } from "../../../domain/Envelope.ts"
import { CONFIGURATOR_EVENTS, SEGMENT_RULES, SEGMENTS } from "../../../domain/Metrics.ts"
import { acceptedValues, defineModel, notNull, unique } from "../../runner/Model.ts"

const r = SEGMENT_RULES

/** The segment rules in words (dim_users and mart_user_segments quote them). */
export const segmentDefinition =
  "Segments as of the latest UTC day with an event (as_of_date, A), the first rule that matches: " +
  `new = first seen within the last ${r.newDays} days (first_seen_date > A − ${r.newDays}); ` +
  `dormant = no event in the last ${r.dormantDays} days (last_seen_date ≤ A − ${r.dormantDays}); ` +
  `power = active on at least ${r.powerActiveDays} of the last ${r.powerWindowDays} days ` +
  `(days in (A − ${r.powerWindowDays}, A]); casual = everyone else.`

export default defineModel({
  name: "dim_users",
  layer: "marts",
  materialized: "table",
  description:
    "One row per resolved user: first and last seen, the first event's device, the acquisition utm (the first " +
    `event's utm; NULL = direct), the completer flag (has ever sent ${CONFIGURATOR_EVENTS.completed}), activity ` +
    `counts and the segment. ${segmentDefinition}`,
  columns: {
    user_id: { description: "the resolved user (stg_events.resolved_user_id)", tests: [unique(), notNull()] },
    first_seen_at: { description: "first event (occurred_at_corrected)", tests: [notNull()] },
    last_seen_at: { description: "last event", tests: [notNull()] },
    first_seen_date: { description: "UTC date of the first event: the retention cohort", tests: [notNull()] },
    last_seen_date: { description: "UTC date of the last event", tests: [notNull()] },
    first_device_type: { description: "device of the first event", tests: [acceptedValues(DeviceType.literals)] },
    acquisition_utm_source: { description: "utm_source of the first event (NULL: direct)" },
    acquisition_utm_medium: { description: "utm_medium of the first event" },
    acquisition_utm_campaign: { description: "utm_campaign of the first event" },
    is_completer: {
      description: `has completed the configurator (${CONFIGURATOR_EVENTS.completed})`,
      tests: [notNull()]
    },
    first_completed_at: { description: "first configurator completion" },
    first_purchase_at: { description: "first purchase" },
    events: { description: "events of the user" },
    sessions: { description: "sessions of the user's ids (int_sessions)" },
    orders: { description: "distinct orders" },
    active_days: { description: "distinct UTC days with an event" },
    active_days_recent: { description: `active days in the last ${r.powerWindowDays} days up to as_of_date` },
    as_of_date: {
      description: "the latest UTC day with an event: the day the segment is computed for",
      tests: [notNull()]
    },
    segment: {
      description: "new, casual, power or dormant (see the model)",
      tests: [notNull(), acceptedValues(SEGMENTS)]
    }
  },
  tests: [
    {
      name: "segments_follow_the_rules",
      description: "recomputes each rule's condition from the columns",
      sql: `SELECT * FROM {{ this }} WHERE segment <> CASE
          WHEN first_seen_date > as_of_date - {{ var('new_days') }} THEN 'new'
          WHEN last_seen_date <= as_of_date - {{ var('dormant_days') }} THEN 'dormant'
          WHEN active_days_recent >= {{ var('power_active_days') }} THEN 'power'
          ELSE 'casual' END`
    }
  ],
  vars: {
    new_days: r.newDays,
    dormant_days: r.dormantDays,
    power_active_days: r.powerActiveDays,
    power_window_days: r.powerWindowDays
  }
})
