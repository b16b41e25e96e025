{#
  Statistics in SQL, so that the mart, its exports and every reader hold the same numbers:
  - the normal tail Q(x) = 1 − Φ(x) by Hart's rational approximation (Algorithm 5666, as given by
    G. West, "Better approximations to cumulative normal functions", 2005): relative error about 1e-14;
  - the chi-square survival function of an integer df in closed form (Abramowitz & Stegun 26.4.4 for
    odd df, 26.4.5 for even df);
  - the chance to beat control of two Beta posteriors by Evan Miller's exact finite sum.
#}
WITH exposures AS (
  SELECT * FROM {{ ref('int_experiment_exposures') }}
)
, metrics AS (
  SELECT unnest({{ var('metrics') }}, recursive := true)
)
, conversions AS (
  SELECT experiment_key, user_id, unnest(converted_metrics) AS metric
  FROM exposures
  WHERE NOT is_excluded
)
, arms AS (
  SELECT
    x.experiment_key,
    m.metric,
    x.variant,
    count(*)::INTEGER AS exposures,
    count(c.user_id)::INTEGER AS conversions
  FROM exposures x
  CROSS JOIN metrics m
  LEFT JOIN conversions c ON c.experiment_key = x.experiment_key AND c.user_id = x.user_id AND c.metric = m.metric
  WHERE NOT x.is_excluded
  GROUP BY x.experiment_key, m.metric, x.variant
)
, experiments AS (
  SELECT
    experiment_key,
    count(*) FILTER (WHERE NOT is_excluded)::INTEGER AS exposed_users,
    count(*) FILTER (WHERE is_excluded)::INTEGER AS excluded_users
  FROM exposures
  GROUP BY experiment_key
)
, variant_sizes AS (
  SELECT experiment_key, variant, count(*) AS n
  FROM exposures
  WHERE NOT is_excluded
  GROUP BY experiment_key, variant
)
, expected_sizes AS (
  SELECT v.experiment_key, e.exposed_users / count(*) AS expected, count(*) AS variants
  FROM variant_sizes v
  JOIN experiments e ON e.experiment_key = v.experiment_key
  GROUP BY v.experiment_key, e.exposed_users
)
, srm AS (
  SELECT
    v.experiment_key,
    x.variants - 1 AS df,
    sum(power(v.n - x.expected, 2) / x.expected) AS chi_square,
    min(v.n) >= {{ var('min_exposures_per_variant') }} AS meets_minimum_exposures,
    x.expected * x.variants >= {{ var('min_exposures_for_srm') }} AS srm_checked
  FROM variant_sizes v
  JOIN expected_sizes x ON x.experiment_key = v.experiment_key
  GROUP BY v.experiment_key, x.variants, x.expected
)
, compared AS (
  SELECT
    a.*,
    a.variant = {{ var('control_variant') }} AS is_control,
    c.exposures AS control_exposures,
    c.conversions AS control_conversions,
    a.conversions / a.exposures AS rate,
    c.conversions / c.exposures AS control_rate,
    (a.conversions + c.conversions) / (a.exposures + c.exposures) AS pooled_rate,
    1.0 + a.conversions AS alpha,
    1.0 + a.exposures - a.conversions AS beta,
    1.0 + c.conversions AS control_alpha,
    1.0 + c.exposures - c.conversions AS control_beta
  FROM arms a
  LEFT JOIN arms c
    ON c.experiment_key = a.experiment_key AND c.metric = a.metric AND c.variant = {{ var('control_variant') }}
)
, tested AS (
  SELECT
    *,
    CASE WHEN NOT is_control AND control_exposures IS NOT NULL THEN rate - control_rate END AS absolute_lift,
    CASE WHEN NOT is_control AND control_exposures IS NOT NULL
      THEN sqrt(rate * (1 - rate) / exposures + control_rate * (1 - control_rate) / control_exposures)
    END AS se_difference,
    CASE WHEN NOT is_control AND control_rate > 0 THEN rate / control_rate - 1 END AS relative_lift,
    CASE WHEN NOT is_control AND control_rate > 0
      THEN sqrt(
        rate * (1 - rate) / exposures / power(control_rate, 2)
        + power(rate, 2) * control_rate * (1 - control_rate) / control_exposures / power(control_rate, 4)
      )
    END AS se_relative,
    CASE WHEN NOT is_control AND pooled_rate > 0 AND pooled_rate < 1
      THEN (rate - control_rate) / sqrt(pooled_rate * (1 - pooled_rate) * (1 / exposures + 1 / control_exposures))
    END AS z_score,
    CASE WHEN NOT is_control AND control_exposures IS NOT NULL
      THEN list_sum(list_transform(range(0, CAST(alpha AS BIGINT)), i ->
        exp(
          lgamma(control_alpha + i) + lgamma(control_beta + beta) - lgamma(control_alpha + i + control_beta + beta)
          - ln(beta + i)
          - (lgamma(1 + i) + lgamma(beta) - lgamma(1 + i + beta))
          - (lgamma(control_alpha) + lgamma(control_beta) - lgamma(control_alpha + control_beta))
        )
      ))
    END AS chance_to_beat_control
  FROM compared
)
, tail_inputs AS (
  SELECT abs(z_score) AS x FROM tested WHERE z_score IS NOT NULL
  UNION
  SELECT sqrt(chi_square) FROM srm WHERE df >= 1
)
, tails AS (
  SELECT
    x,
    CASE
      WHEN x > 37 THEN 0.0
      WHEN x < 7.07106781186547 THEN exp(-x * x / 2)
        * ((((((0.0352624965998911 * x + 0.700383064443688) * x + 6.37396220353165) * x + 33.912866078383) * x
          + 112.079291497871) * x + 221.213596169931) * x + 220.206867912376)
        / (((((((0.0883883476483184 * x + 1.75566716318264) * x + 16.064177579207) * x + 86.7807322029461) * x
          + 296.564248779674) * x + 637.333633378831) * x + 793.826512519948) * x + 440.413735824752)
      ELSE exp(-x * x / 2) / (x + 1 / (x + 2 / (x + 3 / (x + 4 / (x + 0.65))))) / 2.506628274631
    END AS upper_tail
  FROM tail_inputs
)
, srm_tested AS (
  SELECT
    s.*,
    CASE
      WHEN s.df < 1 OR NOT s.srm_checked THEN NULL
      WHEN s.chi_square = 0 THEN 1.0
      WHEN s.df % 2 = 0 THEN exp(-s.chi_square / 2) * list_sum(list_transform(range(0, s.df // 2), r ->
        exp(r * ln(s.chi_square / 2) - lgamma(r + 1))
      ))
      ELSE 2 * t.upper_tail + coalesce(list_sum(list_transform(range(1, (s.df - 1) // 2 + 1), r ->
        2 * exp(-s.chi_square / 2 + (r - 0.5) * ln(s.chi_square) - (lgamma(2 * r + 1) - r * ln(2) - lgamma(r + 1)))
          / sqrt(2 * pi())
      )), 0)
    END AS srm_p_value
  FROM srm s
  LEFT JOIN tails t ON t.x = sqrt(s.chi_square)
)
SELECT
  r.experiment_key,
  r.metric,
  r.variant,
  r.is_control,
  r.exposures,
  r.conversions,
  r.rate AS conversion_rate,
  r.control_exposures,
  r.control_conversions,
  r.control_rate,
  r.absolute_lift,
  r.absolute_lift - {{ var('z') }} * r.se_difference AS absolute_lift_ci_low,
  r.absolute_lift + {{ var('z') }} * r.se_difference AS absolute_lift_ci_high,
  r.relative_lift,
  r.relative_lift - {{ var('z') }} * r.se_relative AS relative_lift_ci_low,
  r.relative_lift + {{ var('z') }} * r.se_relative AS relative_lift_ci_high,
  r.z_score,
  2 * t.upper_tail AS p_value,
  r.chance_to_beat_control,
  e.exposed_users AS experiment_exposed_users,
  e.excluded_users AS experiment_excluded_users,
  s.chi_square AS srm_chi_square,
  s.srm_p_value,
  s.srm_p_value < {{ var('srm_threshold') }} AS srm_flagged,
  s.meets_minimum_exposures
FROM tested r
JOIN experiments e ON e.experiment_key = r.experiment_key
JOIN srm_tested s ON s.experiment_key = r.experiment_key
LEFT JOIN tails t ON t.x = abs(r.z_score)
