import { defineModel, notNull, unique } from "../../runner/Model.ts"

export default defineModel({
  name: "fct_daily_activity",
  layer: "marts",
  materialized: "table",
  description:
    "One row per UTC day with events: active users (distinct user_id with an event that day), new users " +
    "(active users whose first event ever is that day), returning users (active users seen on an earlier " +
    "day), events, and events per active user. Users are resolved users (stg_events.resolved_user_id).",
  columns: {
    event_date: { description: "the UTC day", tests: [unique(), notNull()] },
    active_users: { description: "distinct users with at least one event that day", tests: [notNull()] },
    new_users: { description: "active users whose first event day is this day" },
    returning_users: { description: "active users whose first event day is earlier" },
    events: { description: "events that day (after de-duplication)" },
    events_per_active_user: { description: "events / active_users" }
  },
  tests: [
    {
      name: "new_plus_returning_is_active",
      sql: "SELECT * FROM {{ this }} WHERE new_users + returning_users <> active_users"
    }
  ]
})
