WITH days AS (
  SELECT * FROM {{ ref('int_user_days') }}
),
first_days AS (
  SELECT user_id, min(event_date) AS first_date FROM days GROUP BY user_id
)
SELECT
  d.event_date,
  count(*) AS active_users,
  count(*) FILTER (WHERE d.event_date = f.first_date) AS new_users,
  count(*) FILTER (WHERE d.event_date > f.first_date) AS returning_users,
  sum(d.events)::BIGINT AS events,
  sum(d.events) / count(*) AS events_per_active_user
FROM days d
JOIN first_days f USING (user_id)
GROUP BY d.event_date
