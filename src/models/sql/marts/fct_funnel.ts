import { EVENT_TYPES } from "../../../domain/Catalog.ts"
import {
  ALL_VALUE,
  FUNNEL_BREAKDOWNS,
  FUNNEL_MODES,
  FUNNEL_WINDOW_MS,
  funnelVar,
  MART_FUNNELS,
  NONE_VALUE
} from "../../../domain/Funnels.ts"
import { acceptedValues, defineModel, notNull } from "../../runner/Model.ts"

const funnels = MART_FUNNELS.map((f) => `${f.funnel} (${f.steps.map((s) => s.eventType).join(" → ")})`)
const days = FUNNEL_WINDOW_MS / 86_400_000

export default defineModel({
  name: "fct_funnel",
  layer: "marts",
  materialized: "table",
  description:
    `The product's funnels, ${funnels.join(" and ")}, over all events, in PostHog's three step orders, with a ` +
    `${days}-day conversion window (PostHog's default) measured from the first step, per breakdown. Users are ` +
    "resolved users; events are in (occurred_at_corrected, event_id) order. ordered (PostHog's default): step k " +
    "is the user's first step-k event after their step k−1 (other events may come between); strict: step k must " +
    "be the user's very next event after step k−1; unordered: step k = the user did k different steps of the " +
    "funnel (in any order) within the window of the first of them (step_event_type is then NULL). Each entry " +
    "into step 1 (in unordered: into any step) is an attempt; a user counts once, with the attempt that got " +
    "furthest (the earliest on a tie), and at every step up to where it got. Breakdowns use the attempt's first " +
    `event (PostHog's first-touch attribution): none ('${ALL_VALUE}'), device_type, utm_source ('${NONE_VALUE}' ` +
    "when it had none); a user with attempts from two devices counts in both device rows. Per step: users; " +
    "conversion from the previous step (users / previous step's users; NULL at step 1) and from the first; " +
    "drop-off = previous step's users − users; median time to convert from the previous step and from the first " +
    "(seconds, over the users who reached the step). Counted from int_funnel_attempts. The API runs the same computation for any ordered list of " +
    "catalog event types (src/models/query/FunnelQuery.ts).",
  columns: {
    funnel: { description: "the funnel", tests: [notNull(), acceptedValues(MART_FUNNELS.map((f) => f.funnel))] },
    mode: { description: "ordered, strict or unordered", tests: [notNull(), acceptedValues(FUNNEL_MODES)] },
    breakdown: {
      description: "none, device_type or utm_source",
      tests: [notNull(), acceptedValues(FUNNEL_BREAKDOWNS)]
    },
    breakdown_value: { description: "the device or utm_source of the attempt's first event", tests: [notNull()] },
    step_index: { description: "1-based step", tests: [notNull()] },
    step_event_type: {
      description: "the step's event type (NULL in unordered mode)",
      tests: [acceptedValues(EVENT_TYPES)]
    },
    users: { description: "users who reached this step", tests: [notNull()] },
    conversion_from_previous: { description: "users / users of the previous step" },
    conversion_from_first: { description: "users / users of step 1" },
    drop_off_users: { description: "users of the previous step who did not reach this one" },
    median_seconds_from_previous: { description: "median time from the previous step to this one, in seconds" },
    median_seconds_from_first: { description: "median time from step 1 to this one, in seconds" }
  },
  tests: [
    {
      name: "one_row_per_step",
      sql: "SELECT funnel, mode, breakdown, breakdown_value, step_index FROM {{ this }} GROUP BY ALL HAVING count(*) > 1"
    },
    {
      name: "users_never_grow_along_the_funnel",
      sql: "SELECT * FROM {{ this }} WHERE drop_off_users < 0 OR conversion_from_first > 1"
    },
    {
      name: "unordered_reaches_at_least_ordered",
      description:
        "doing the steps in order is one way of doing them in any order; strict is a special case of ordered",
      sql: `SELECT o.* FROM {{ this }} o JOIN {{ this }} u USING (funnel, breakdown, breakdown_value, step_index)
        JOIN {{ this }} s USING (funnel, breakdown, breakdown_value, step_index)
        WHERE o.mode = 'ordered' AND u.mode = 'unordered' AND s.mode = 'strict'
          AND (u.users < o.users OR s.users > o.users)`
    }
  ],
  vars: { funnels: MART_FUNNELS.map(funnelVar) }
})
