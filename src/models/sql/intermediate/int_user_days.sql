SELECT
  resolved_user_id AS user_id,
  event_date,
  count(*) AS events,
  count(DISTINCT session_id) AS sessions,
  min(occurred_at_corrected) AS first_event_at,
  max(occurred_at_corrected) AS last_event_at,
  arg_min(context_device_type, (occurred_at_corrected, event_id)) AS first_device_type
FROM {{ ref('stg_events') }}
GROUP BY resolved_user_id, event_date
