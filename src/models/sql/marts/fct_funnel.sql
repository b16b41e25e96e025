{#
  The counts of int_funnel_attempts (each user's best attempt per mode, funnel and breakdown value, by
  the rules written there): per step, the users whose best attempt reached it and the medians of their
  step times.
#}
WITH best AS (
  SELECT * FROM {{ ref('int_funnel_attempts') }}
)
, {{ macro('funnel_steps') }}
, user_steps AS (
  SELECT
    b.mode, b.funnel, b.breakdown, b.breakdown_value, k.step_index,
    CASE WHEN k.step_index > 1
      THEN epoch_ms(b.step_times[k.step_index]) - epoch_ms(b.step_times[k.step_index - 1])
    END AS ms_from_previous,
    epoch_ms(b.step_times[k.step_index]) - epoch_ms(b.step_times[1]) AS ms_from_first
  FROM best b
  JOIN funnel_steps k ON k.funnel = b.funnel AND k.step_index <= b.reached
)
, step_counts AS (
  SELECT
    mode, funnel, breakdown, breakdown_value, step_index,
    count(*)::INTEGER AS users,
    median(ms_from_previous) / 1000.0 AS median_seconds_from_previous,
    median(ms_from_first) / 1000.0 AS median_seconds_from_first
  FROM user_steps
  GROUP BY mode, funnel, breakdown, breakdown_value, step_index
)
, groups AS (
  SELECT DISTINCT mode, funnel, breakdown, breakdown_value FROM best
)
, grid AS (
  SELECT
    g.mode, g.funnel, g.breakdown, g.breakdown_value, k.step_index,
    CASE WHEN g.mode = 'unordered' THEN NULL ELSE k.event_type END AS step_event_type,
    coalesce(c.users, 0) AS users,
    c.median_seconds_from_previous,
    c.median_seconds_from_first
  FROM groups g
  JOIN funnel_steps k ON k.funnel = g.funnel
  LEFT JOIN step_counts c
    ON c.mode = g.mode AND c.funnel = g.funnel AND c.breakdown = g.breakdown
    AND c.breakdown_value = g.breakdown_value AND c.step_index = k.step_index
)
SELECT
  funnel,
  mode,
  breakdown,
  breakdown_value,
  step_index,
  step_event_type,
  users,
  users / nullif(lag(users) OVER w, 0) AS conversion_from_previous,
  users / nullif(first_value(users) OVER w, 0) AS conversion_from_first,
  lag(users) OVER w - users AS drop_off_users,
  median_seconds_from_previous,
  median_seconds_from_first
FROM grid
WINDOW w AS (PARTITION BY funnel, mode, breakdown, breakdown_value ORDER BY step_index)
