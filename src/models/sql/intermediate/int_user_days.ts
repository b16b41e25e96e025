import { DeviceType } from "../../../domain/Envelope.ts"
import { acceptedValues, defineModel, loadedAtColumn, notNull } from "../../runner/Model.ts"

export default defineModel({
  name: "int_user_days",
  layer: "intermediate",
  materialized: "incremental",
  uniqueKey: ["user_id"],
  description:
    "One row per resolved user and UTC day with at least one event (stg_events): the day's events, distinct client " +
    "sessions, first and last event time, and the device of the day's first event (ties broken by event_id). " +
    "Incremental, delete+insert of every day of the users whose events changed since its last build (see the SQL).",
  columns: {
    user_id: { description: "the resolved user (stg_events.resolved_user_id)", tests: [notNull()] },
    event_date: { description: "UTC date of the events", tests: [notNull()] },
    events: { description: "events of the user that day" },
    sessions: { description: "distinct client session_id values of the user that day" },
    first_event_at: { description: "earliest occurred_at_corrected of the day" },
    last_event_at: { description: "latest occurred_at_corrected of the day" },
    first_device_type: {
      description: "context_device_type of the day's first event",
      tests: [acceptedValues(DeviceType.literals)]
    },
    _loaded_at: loadedAtColumn
  },
  tests: [
    {
      name: "one_row_per_user_day",
      sql: "SELECT user_id, event_date, count(*) AS n FROM {{ this }} GROUP BY ALL HAVING count(*) > 1"
    }
  ]
})
