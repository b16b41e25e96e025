import {
  ALL_VALUE,
  FUNNEL_BREAKDOWNS,
  FUNNEL_MODES,
  FUNNEL_WINDOW_MS,
  funnelVar,
  MART_FUNNELS,
  NONE_VALUE
} from "../../../domain/Funnels.ts"
import { acceptedValues, defineModel, loadedAtColumn, notNull } from "../../runner/Model.ts"

const days = FUNNEL_WINDOW_MS / 86_400_000

export default defineModel({
  name: "int_funnel_attempts",
  layer: "intermediate",
  materialized: "incremental",
  uniqueKey: ["user_id"],
  description:
    "Per resolved user, funnel of the product (int_funnel_steps), mode (ordered, strict, unordered: PostHog's " +
    `step orders) and breakdown value, the user's best attempt within the ${days}-day conversion window: the ` +
    "attempt that reached the most steps, the earliest on a tie. An attempt is one entry into step 1 (in " +
    "unordered mode: into any step); ordered: step k is the first step-k event after step k−1; strict: the " +
    "very next event; unordered: k different steps at or after the attempt's first. Breakdown values come from " +
    `the attempt's first event: none ('${ALL_VALUE}'), device_type, utm_source ('${NONE_VALUE}' when none). ` +
    "fct_funnel counts these. Incremental, delete+insert of the users whose events changed since its last build.",
  columns: {
    mode: { description: "ordered, strict or unordered", tests: [notNull(), acceptedValues(FUNNEL_MODES)] },
    funnel: { description: "the funnel", tests: [notNull(), acceptedValues(MART_FUNNELS.map((f) => f.funnel))] },
    breakdown: {
      description: "none, device_type or utm_source",
      tests: [notNull(), acceptedValues(FUNNEL_BREAKDOWNS)]
    },
    breakdown_value: { description: "the device or utm_source of the attempt's first event", tests: [notNull()] },
    user_id: { description: "the resolved user", tests: [notNull()] },
    reached: { description: "steps the best attempt reached (1 or more)", tests: [notNull()] },
    step_times: { description: "occurred_at of each step reached, in step order (unordered: in time order)" },
    _loaded_at: loadedAtColumn
  },
  tests: [
    {
      name: "one_attempt_per_user_and_breakdown_value",
      sql: "SELECT mode, funnel, breakdown, breakdown_value, user_id FROM {{ this }} GROUP BY ALL HAVING count(*) > 1"
    }
  ],
  vars: { funnels: MART_FUNNELS.map(funnelVar), window_ms: FUNNEL_WINDOW_MS }
})
