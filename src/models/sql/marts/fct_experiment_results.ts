import {
  CONTROL_VARIANT,
  EXPERIMENT_METRICS,
  EXPOSURE_EVENT,
  MIN_EXPOSURES_FOR_SRM,
  MIN_EXPOSURES_PER_VARIANT,
  SRM_P_THRESHOLD,
  Z_95
} from "../../../domain/Metrics.ts"
import { acceptedValues, defineModel, notNull } from "../../runner/Model.ts"

const metrics = EXPERIMENT_METRICS.map((m) => `${m.metric} (a ${m.event_type} event)`).join(", ")

export default defineModel({
  name: "fct_experiment_results",
  layer: "marts",
  materialized: "table",
  description:
    "One row per experiment, metric and variant. Exposed users come from int_experiment_exposures (first " +
    `${EXPOSURE_EVENT} per resolved user; users who saw more than one variant are excluded and counted in ` +
    `experiment_excluded_users, as PostHog does). Metrics: ${metrics}; a user converts with such an event at or ` +
    "after their first exposure (PostHog: only events after the first exposure count). Rate = conversions / " +
    `exposures. Against the variant '${CONTROL_VARIANT}' (NULL on the control row, and when there is none): ` +
    "absolute lift = rate − control rate with the unpooled Wald 95 % interval ± 1.96·sqrt(p(1−p)/n + " +
    "pc(1−pc)/nc); relative lift = rate / control rate − 1 with the delta-method 95 % interval (GrowthBook's): " +
    "± 1.96·sqrt(var/pc² + p²·var_c/pc⁴), var = p(1−p)/n; p-value of the two-sided two-proportion z-test with " +
    "pooled variance, z = (p − pc) / sqrt(p̂(1−p̂)(1/n + 1/nc)), p̂ = pooled rate (NULL when p̂ is 0 or 1); " +
    "chance to beat control = P(p > pc) under independent Beta(1 + conversions, 1 + non-conversions) posteriors " +
    "(Beta(1,1) priors), by Evan Miller's exact sum. Sample-ratio mismatch: the chi-square goodness-of-fit test " +
    "of the exposed users per variant against an equal split (k − 1 df), computed once the experiment has " +
    `${MIN_EXPOSURES_FOR_SRM} exposed users (PostHog's minimum) and flagged below p = ${SRM_P_THRESHOLD}. ` +
    `Minimum-exposure guard: meets_minimum_exposures is false while any variant has fewer than ` +
    `${MIN_EXPOSURES_PER_VARIANT} exposed users (PostHog's minimum); do not call a winner then, nor when ` +
    "srm_flagged. Normal tail by Hart's approximation (relative error ~1e-14), chi-square tail in closed form.",
  columns: {
    experiment_key: { description: "the experiment", tests: [notNull()] },
    metric: {
      description: "the conversion metric",
      tests: [notNull(), acceptedValues(EXPERIMENT_METRICS.map((m) => m.metric))]
    },
    variant: { description: "the variant of the users' first exposure", tests: [notNull()] },
    is_control: { description: `variant = '${CONTROL_VARIANT}'`, tests: [notNull()] },
    exposures: { description: "exposed users (not excluded) in the variant", tests: [notNull()] },
    conversions: { description: "of them, users who converted after their first exposure", tests: [notNull()] },
    conversion_rate: { description: "conversions / exposures" },
    control_exposures: { description: "exposed users of the control" },
    control_conversions: { description: "converted users of the control" },
    control_rate: { description: "the control's conversion rate" },
    absolute_lift: { description: "conversion_rate − control_rate" },
    absolute_lift_ci_low: { description: "lower end of the 95 % Wald interval" },
    absolute_lift_ci_high: { description: "upper end of the 95 % Wald interval" },
    relative_lift: { description: "conversion_rate / control_rate − 1" },
    relative_lift_ci_low: { description: "lower end of the 95 % delta-method interval" },
    relative_lift_ci_high: { description: "upper end of the 95 % delta-method interval" },
    z_score: { description: "two-proportion z statistic (pooled variance)" },
    p_value: { description: "two-sided p-value of the z-test" },
    chance_to_beat_control: { description: "P(rate > control rate) under Beta(1,1) priors" },
    experiment_exposed_users: {
      description: "exposed users of the experiment, all variants, excluded ones not counted"
    },
    experiment_excluded_users: { description: "users exposed to more than one variant, left out" },
    srm_chi_square: { description: "chi-square statistic of the exposed users per variant against an equal split" },
    srm_p_value: { description: `its p-value (NULL below ${MIN_EXPOSURES_FOR_SRM} exposed users or with one variant)` },
    srm_flagged: {
      description: `srm_p_value < ${SRM_P_THRESHOLD}: the split is broken, the results are not trustworthy`
    },
    meets_minimum_exposures: {
      description: `every variant has at least ${MIN_EXPOSURES_PER_VARIANT} exposed users`,
      tests: [notNull()]
    }
  },
  tests: [
    {
      name: "one_row_per_arm",
      sql: "SELECT experiment_key, metric, variant FROM {{ this }} GROUP BY ALL HAVING count(*) > 1"
    },
    {
      name: "probabilities_are_probabilities",
      sql: `SELECT * FROM {{ this }} WHERE p_value NOT BETWEEN 0 AND 1 OR srm_p_value NOT BETWEEN 0 AND 1
        OR chance_to_beat_control NOT BETWEEN -1e-9 AND 1 + 1e-9 OR conversions > exposures`
    }
  ],
  vars: {
    metrics: EXPERIMENT_METRICS.map((m) => ({ metric: m.metric, event_type: m.event_type })),
    control_variant: CONTROL_VARIANT,
    min_exposures_per_variant: MIN_EXPOSURES_PER_VARIANT,
    min_exposures_for_srm: MIN_EXPOSURES_FOR_SRM,
    srm_threshold: SRM_P_THRESHOLD,
    z: Z_95
  }
})
