import { CONFIGURATOR_EVENTS, RETENTION_DAYS, RETENTION_GROUPS } from "../../../domain/Metrics.ts"
import { acceptedValues, defineModel, notNull } from "../../runner/Model.ts"

export default defineModel({
  name: "fct_retention",
  layer: "marts",
  materialized: "table",
  description:
    "The retention cohort table, in long form: one row per cohort (resolved users by first-seen UTC day), user " +
    `group and return day N in ${RETENTION_DAYS.join(", ")}. D-N return rate = users of the cohort with an event ` +
    "(any type) on exactly cohort day + N / cohort size (PostHog's default retention: first-time cohort, return " +
    '"on" day N). A cell whose day N is after the latest day with data is not observable yet: its returned_users ' +
    "and return_rate are NULL (not 0). Groups: all; completers = users whose first " +
    `${CONFIGURATOR_EVENTS.completed} is on their cohort day; non_completers = the rest (defined on day 0, so ` +
    "completing cannot itself count as returning). fct_retention_lift compares the two groups.",
  columns: {
    cohort_date: { description: "the users' first-seen UTC day", tests: [notNull()] },
    user_group: {
      description: "all, completers or non_completers",
      tests: [notNull(), acceptedValues(RETENTION_GROUPS)]
    },
    day_number: { description: "N: days after the cohort day", tests: [notNull(), acceptedValues(RETENTION_DAYS)] },
    cohort_size: { description: "users in the cohort and group", tests: [notNull()] },
    is_observable: { description: "cohort_date + N is not after the latest day with data", tests: [notNull()] },
    returned_users: { description: "users with an event on cohort_date + N (NULL when not observable)" },
    return_rate: { description: "returned_users / cohort_size (NULL when not observable)" }
  },
  tests: [
    {
      name: "one_row_per_cell",
      sql: "SELECT cohort_date, user_group, day_number FROM {{ this }} GROUP BY ALL HAVING count(*) > 1"
    },
    {
      name: "groups_partition_the_cohort",
      sql: `SELECT a.cohort_date, a.day_number FROM {{ this }} a JOIN {{ this }} g USING (cohort_date, day_number)
        WHERE a.user_group = 'all' AND g.user_group <> 'all'
        GROUP BY a.cohort_date, a.day_number, a.cohort_size, a.returned_users
        HAVING sum(g.cohort_size) <> a.cohort_size OR sum(g.returned_users) IS DISTINCT FROM a.returned_users`
    }
  ],
  vars: { retention_days: RETENTION_DAYS }
})
