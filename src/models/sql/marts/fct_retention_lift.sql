{#
  Completers against non-completers, pooled over the cohorts where day N is observable.
  Relative lift = RR − 1, RR = p1 / p2; its 95 % interval is Katz's log interval for a ratio of two
  independent proportions: exp(ln RR ± z·sqrt(1/a − 1/n1 + 1/c − 1/n2)) − 1, with a, c the returned
  users and n1, n2 the group sizes (undefined when a or c is 0). Absolute lift p1 − p2 with the
  unpooled Wald interval ± z·sqrt(p1(1−p1)/n1 + p2(1−p2)/n2).
#}
WITH pooled AS (
  SELECT
    day_number,
    sum(cohort_size) FILTER (WHERE user_group = 'completers')::INTEGER AS completers,
    sum(returned_users) FILTER (WHERE user_group = 'completers')::INTEGER AS completers_returned,
    sum(cohort_size) FILTER (WHERE user_group = 'non_completers')::INTEGER AS non_completers,
    sum(returned_users) FILTER (WHERE user_group = 'non_completers')::INTEGER AS non_completers_returned,
    count(DISTINCT cohort_date)::INTEGER AS cohorts
  FROM {{ ref('fct_retention') }}
  WHERE is_observable
  GROUP BY day_number
)
, rates AS (
  SELECT
    *,
    completers_returned / nullif(completers, 0) AS completer_rate,
    non_completers_returned / nullif(non_completers, 0) AS non_completer_rate
  FROM pooled
)
, katz AS (
  SELECT
    *,
    CASE WHEN completers_returned > 0 AND non_completers_returned > 0
      THEN ln(completer_rate / non_completer_rate)
    END AS log_ratio,
    CASE WHEN completers_returned > 0 AND non_completers_returned > 0
      THEN sqrt(1 / completers_returned - 1 / completers + 1 / non_completers_returned - 1 / non_completers)
    END AS se_log_ratio,
    sqrt(
      completer_rate * (1 - completer_rate) / completers
      + non_completer_rate * (1 - non_completer_rate) / non_completers
    ) AS se_difference
  FROM rates
)
SELECT
  day_number,
  cohorts,
  completers,
  completers_returned,
  completer_rate,
  non_completers,
  non_completers_returned,
  non_completer_rate,
  completer_rate - non_completer_rate AS absolute_lift,
  completer_rate - non_completer_rate - {{ var('z') }} * se_difference AS absolute_lift_ci_low,
  completer_rate - non_completer_rate + {{ var('z') }} * se_difference AS absolute_lift_ci_high,
  completer_rate / nullif(non_completer_rate, 0) - 1 AS relative_lift,
  exp(log_ratio - {{ var('z') }} * se_log_ratio) - 1 AS relative_lift_ci_low,
  exp(log_ratio + {{ var('z') }} * se_log_ratio) - 1 AS relative_lift_ci_high
FROM katz
