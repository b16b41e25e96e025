import { DeviceType } from "../../../domain/Envelope.ts"
import { COMPLETION_WINDOW_MS, CONFIGURATOR_EVENTS, CONFIGURATOR_INTERACTIONS } from "../../../domain/Metrics.ts"
import { acceptedValues, defineModel, loadedAtColumn, notNull } from "../../runner/Model.ts"

const { started, completed, shared } = CONFIGURATOR_EVENTS

// fct_daily_engagement reads a window through this day's and the next day's rows only.
if (COMPLETION_WINDOW_MS > 86_400_000) throw new Error("int_user_device_days: the completion window exceeds a day")

export default defineModel({
  name: "int_user_device_days",
  layer: "intermediate",
  materialized: "incremental",
  uniqueKey: ["user_id"],
  description:
    "One row per resolved user, UTC day and device the user had an event on (context_device_type), plus one row " +
    "per user and day with device_type 'all': the day's events, first start, configurator interactions and first " +
    `completion on that device, and, across devices, the day's first and last ${completed} and ${shared}: what ` +
    "fct_daily_engagement's 24-hour windows need (see the SQL). Incremental, delete+insert of the users whose " +
    "events changed since its last build.",
  columns: {
    user_id: { description: "the resolved user", tests: [notNull()] },
    event_date: { description: "UTC date of the events", tests: [notNull()] },
    device_type: {
      description: "the device, or 'all' for every device",
      tests: [notNull(), acceptedValues([...DeviceType.literals, "all"])]
    },
    events: { description: "events of the user that day on that device" },
    first_started_at: { description: `earliest ${started} that day on that device` },
    interactions: { description: `${CONFIGURATOR_INTERACTIONS.join(" and ")} events that day on that device` },
    first_completed_at: { description: `earliest ${completed} that day on that device` },
    day_first_completed_at: { description: `earliest ${completed} that day, any device` },
    day_last_completed_at: { description: `latest ${completed} that day, any device` },
    day_first_shared_at: { description: `earliest ${shared} that day, any device` },
    day_last_shared_at: { description: `latest ${shared} that day, any device` },
    _loaded_at: loadedAtColumn
  },
  tests: [
    {
      name: "one_row_per_user_day_and_device",
      sql: "SELECT user_id, event_date, device_type FROM {{ this }} GROUP BY ALL HAVING count(*) > 1"
    }
  ],
  vars: {
    started_event: started,
    completed_event: completed,
    shared_event: shared,
    interaction_events: CONFIGURATOR_INTERACTIONS
  }
})
