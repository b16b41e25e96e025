WITH users AS (
  SELECT user_id, first_seen_date AS cohort_date, completed_on_first_day FROM {{ ref('int_user_journeys') }}
)
, grouped AS (
  SELECT user_id, cohort_date, 'all' AS user_group FROM users
  UNION ALL
  SELECT user_id, cohort_date, CASE WHEN completed_on_first_day THEN 'completers' ELSE 'non_completers' END FROM users
)
, return_days AS (
  SELECT unnest({{ var('retention_days') }}) AS day_number
)
, last_day AS (
  SELECT max(event_date) AS last_date FROM {{ ref('int_user_days') }}
)
, returned AS (
  SELECT g.cohort_date, g.user_group, r.day_number, count(*)::INTEGER AS returned_users
  FROM grouped g
  CROSS JOIN return_days r
  JOIN {{ ref('int_user_days') }} d ON d.user_id = g.user_id AND d.event_date = g.cohort_date + r.day_number
  GROUP BY g.cohort_date, g.user_group, r.day_number
)
, cohorts AS (
  SELECT cohort_date, user_group, count(*)::INTEGER AS cohort_size
  FROM grouped
  GROUP BY cohort_date, user_group
)
SELECT
  c.cohort_date,
  c.user_group,
  r.day_number,
  c.cohort_size,
  c.cohort_date + r.day_number <= l.last_date AS is_observable,
  CASE WHEN c.cohort_date + r.day_number <= l.last_date THEN coalesce(x.returned_users, 0) END AS returned_users,
  CASE WHEN c.cohort_date + r.day_number <= l.last_date THEN coalesce(x.returned_users, 0) / c.cohort_size END
    AS return_rate
FROM cohorts c
CROSS JOIN return_days r
CROSS JOIN last_day l
LEFT JOIN returned x ON x.cohort_date = c.cohort_date AND x.user_group = c.user_group AND x.day_number = r.day_number
