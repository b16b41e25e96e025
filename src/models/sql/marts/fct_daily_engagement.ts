import { DeviceType } from "../../../domain/Envelope.ts"
import { COMPLETION_WINDOW_MS, CONFIGURATOR_EVENTS, CONFIGURATOR_INTERACTIONS } from "../../../domain/Metrics.ts"
import { SESSION_GAP_MS } from "../../../domain/SessionRecord.ts"
import { acceptedValues, defineModel, notNull } from "../../runner/Model.ts"

const hours = COMPLETION_WINDOW_MS / 3_600_000
const { started, completed, shared } = CONFIGURATOR_EVENTS

export default defineModel({
  name: "fct_daily_engagement",
  layer: "marts",
  materialized: "table",
  description:
    "One row per UTC day and device (context_device_type of each event, plus device_type 'all' for the day across " +
    "devices; a user active on two devices counts in both device rows and once in 'all'). Users are resolved " +
    "users; every event counts (late ones too), except in the session measures, which use int_sessions. " +
    `DAU = distinct users with an event. Starters = DAU with a ${started} that day on that device; adoption = ` +
    `starters / DAU. Completion = starters whose first ${started} of the day (on that device) is followed by a ` +
    `${completed} (any device) within ${hours} h / starters, so a day's completion is final ${hours} h after it ` +
    `ends. Engagement depth: events per session = events of the sessions that started that day on that device ` +
    `(session device = its first event's; a session is cut after a gap of more than ${SESSION_GAP_MS / 60_000} ` +
    `min) / those sessions, the product brief's definition; configurator interactions per starter = the starters' ` +
    `${CONFIGURATOR_INTERACTIONS.join(" and ")} events that day on that device / starters. Session duration (last − ` +
    `first event, PostHog's) average and median over those sessions. Share rate = sharers / completers, where ` +
    `completers = users with a ${completed} that day on that device and sharers = completers with a ${shared} ` +
    `within ${hours} h after their first ${completed} of the day. A rate is NULL when its denominator is 0. ` +
    "Counted from int_user_device_days and int_sessions.",
  columns: {
    event_date: { description: "the UTC day", tests: [notNull()] },
    device_type: {
      description: "the device, or 'all' for every device",
      tests: [notNull(), acceptedValues([...DeviceType.literals, "all"])]
    },
    dau: { description: "daily active users: distinct resolved users with an event", tests: [notNull()] },
    events: { description: "events (after de-duplication)" },
    starters: { description: `users with a ${started} that day` },
    adoption_rate: { description: "starters / dau" },
    completed_within_24h: {
      description: `starters with a ${completed} within ${hours} h of their first start of the day`
    },
    completion_rate: { description: "completed_within_24h / starters" },
    configurator_interactions: { description: `the starters' ${CONFIGURATOR_INTERACTIONS.join(", ")} events that day` },
    interactions_per_starter: { description: "configurator_interactions / starters" },
    sessions: { description: "sessions (int_sessions) that started that day on that device" },
    session_events: { description: "events of those sessions" },
    events_per_session: { description: "session_events / sessions (engagement depth)" },
    avg_session_duration_s: { description: "mean session duration in seconds" },
    median_session_duration_s: { description: "median session duration in seconds (mean of the middle two when even)" },
    completers: { description: `users with a ${completed} that day` },
    sharers: { description: `completers with a ${shared} within ${hours} h after their first completion of the day` },
    share_rate: { description: "sharers / completers" }
  },
  tests: [
    {
      name: "one_row_per_day_and_device",
      sql: "SELECT event_date, device_type FROM {{ this }} GROUP BY ALL HAVING count(*) > 1"
    },
    {
      name: "rates_between_0_and_1",
      sql: `SELECT * FROM {{ this }} WHERE adoption_rate NOT BETWEEN 0 AND 1
        OR completion_rate NOT BETWEEN 0 AND 1 OR share_rate NOT BETWEEN 0 AND 1`
    },
    {
      name: "all_covers_each_device",
      description: "the 'all' row counts at least as many users as any device row, and at most their sum",
      sql: `SELECT a.event_date FROM {{ this }} a JOIN {{ this }} d ON d.event_date = a.event_date AND d.device_type <> 'all'
        WHERE a.device_type = 'all' GROUP BY a.event_date, a.dau HAVING a.dau < max(d.dau) OR a.dau > sum(d.dau)`
    }
  ],
  vars: { completion_window_ms: COMPLETION_WINDOW_MS }
})
