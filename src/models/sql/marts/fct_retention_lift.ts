import { CONFIGURATOR_EVENTS, RETENTION_DAYS, Z_95 } from "../../../domain/Metrics.ts"
import { acceptedValues, defineModel, notNull, unique } from "../../runner/Model.ts"

export default defineModel({
  name: "fct_retention_lift",
  layer: "marts",
  materialized: "table",
  description:
    'The retention lift of completing the configurator (the "money slide"): one row per return day N in ' +
    `${RETENTION_DAYS.join(", ")}, pooling every cohort of fct_retention whose day N is observable. Completers = ` +
    `users whose first ${CONFIGURATOR_EVENTS.completed} is on their first-seen day; rate = D-N returned users / ` +
    "users. Relative lift = completer rate / non-completer rate − 1 with a 95 % interval by Katz's log method for " +
    "a ratio of two independent proportions: exp(ln RR ± 1.96·sqrt(1/a − 1/n1 + 1/c − 1/n2)) − 1 (a, c returned " +
    "users, n1, n2 group sizes; NULL when a or c is 0). Absolute lift = the difference of the rates with the " +
    "unpooled Wald 95 % interval ± 1.96·sqrt(p1(1−p1)/n1 + p2(1−p2)/n2). An association, not an experiment: " +
    "completers chose to complete.",
  columns: {
    day_number: { description: "N: the return day", tests: [unique(), notNull(), acceptedValues(RETENTION_DAYS)] },
    cohorts: { description: "observable cohorts pooled" },
    completers: { description: "n1: completers in those cohorts" },
    completers_returned: { description: "a: completers active on their day N" },
    completer_rate: { description: "a / n1" },
    non_completers: { description: "n2: non-completers in those cohorts" },
    non_completers_returned: { description: "c: non-completers active on their day N" },
    non_completer_rate: { description: "c / n2" },
    absolute_lift: { description: "completer_rate − non_completer_rate" },
    absolute_lift_ci_low: { description: "lower end of the 95 % Wald interval of absolute_lift" },
    absolute_lift_ci_high: { description: "upper end of the 95 % Wald interval of absolute_lift" },
    relative_lift: { description: "completer_rate / non_completer_rate − 1" },
    relative_lift_ci_low: { description: "lower end of the 95 % Katz log interval of relative_lift" },
    relative_lift_ci_high: { description: "upper end of the 95 % Katz log interval of relative_lift" }
  },
  tests: [
    {
      name: "intervals_hold_their_estimate",
      sql: `SELECT * FROM {{ this }} WHERE relative_lift NOT BETWEEN relative_lift_ci_low AND relative_lift_ci_high
        OR absolute_lift NOT BETWEEN absolute_lift_ci_low AND absolute_lift_ci_high`
    }
  ],
  vars: { z: Z_95 }
})
