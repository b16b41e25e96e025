WITH journeys AS (
  SELECT * FROM {{ ref('int_user_journeys') }}
)
, as_of AS (
  SELECT max(event_date) AS as_of_date FROM {{ ref('int_user_days') }}
)
, recent AS (
  SELECT d.user_id, count(*)::INTEGER AS active_days
  FROM {{ ref('int_user_days') }} d
  CROSS JOIN as_of a
  WHERE d.event_date > a.as_of_date - {{ var('power_window_days') }}
  GROUP BY d.user_id
)
SELECT
  j.user_id,
  j.first_seen_at,
  j.last_seen_at,
  j.first_seen_date,
  j.last_seen_date,
  j.first_device_type,
  j.first_utm_source AS acquisition_utm_source,
  j.first_utm_medium AS acquisition_utm_medium,
  j.first_utm_campaign AS acquisition_utm_campaign,
  j.first_completed_at IS NOT NULL AS is_completer,
  j.first_completed_at,
  j.first_purchase_at,
  j.events,
  j.sessions,
  j.orders,
  j.active_days,
  coalesce(r.active_days, 0) AS active_days_recent,
  a.as_of_date,
  CASE
    WHEN j.first_seen_date > a.as_of_date - {{ var('new_days') }} THEN 'new'
    WHEN j.last_seen_date <= a.as_of_date - {{ var('dormant_days') }} THEN 'dormant'
    WHEN coalesce(r.active_days, 0) >= {{ var('power_active_days') }} THEN 'power'
    ELSE 'casual'
  END AS segment
FROM journeys j
CROSS JOIN as_of a
LEFT JOIN recent r ON r.user_id = j.user_id
