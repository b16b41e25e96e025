{#
  Every measure is computed per (UTC day, device) and for the day across devices (device_type 'all'),
  from int_user_device_days: a user active on two devices counts once in each device row and once in
  the 'all' row. A 24-hour window from a start (completion) at s is met by a completion (share) of the
  same day at or after s — the day's latest is — or by one of the next day no later than s + window —
  the next day's earliest is (int_user_device_days explains why that is all it needs).
#}
WITH user_days AS (
  SELECT * FROM {{ ref('int_user_device_days') }}
)
, next_days AS (
  SELECT user_id, event_date - 1 AS event_date, day_first_completed_at AS next_first_completed_at,
    day_first_shared_at AS next_first_shared_at
  FROM user_days
  WHERE device_type = 'all'
)
, outcomes AS (
  SELECT
    d.event_date,
    d.device_type,
    d.events,
    d.first_started_at,
    d.interactions,
    d.first_completed_at,
    d.day_last_completed_at >= d.first_started_at
      OR n.next_first_completed_at <= d.first_started_at + to_milliseconds({{ var('completion_window_ms') }})
      AS completed_within_window,
    d.day_last_shared_at >= d.first_completed_at
      OR n.next_first_shared_at <= d.first_completed_at + to_milliseconds({{ var('completion_window_ms') }})
      AS shared_within_window
  FROM user_days d
  LEFT JOIN next_days n ON n.user_id = d.user_id AND n.event_date = d.event_date
)
, days AS (
  SELECT
    event_date,
    device_type,
    count(*)::INTEGER AS dau,
    sum(events)::INTEGER AS events,
    count(first_started_at)::INTEGER AS starters,
    count(*) FILTER (WHERE completed_within_window)::INTEGER AS completed_within_window,
    coalesce(sum(interactions) FILTER (WHERE first_started_at IS NOT NULL), 0)::INTEGER AS starter_interactions,
    count(first_completed_at)::INTEGER AS completers,
    count(*) FILTER (WHERE shared_within_window)::INTEGER AS sharers
  FROM outcomes
  GROUP BY event_date, device_type
)
, sessions AS (
  SELECT session_date, device_type, event_count, duration_s FROM {{ ref('int_sessions') }}
  UNION ALL
  SELECT session_date, 'all', event_count, duration_s FROM {{ ref('int_sessions') }}
)
, session_days AS (
  SELECT
    session_date AS event_date,
    device_type,
    count(*)::INTEGER AS sessions,
    sum(event_count)::INTEGER AS session_events,
    avg(duration_s) AS avg_session_duration_s,
    median(duration_s) AS median_session_duration_s
  FROM sessions
  GROUP BY session_date, device_type
)
SELECT
  d.event_date,
  d.device_type,
  d.dau,
  d.events,
  d.starters,
  d.starters / d.dau AS adoption_rate,
  d.completed_within_window AS completed_within_24h,
  d.completed_within_window / nullif(d.starters, 0) AS completion_rate,
  d.starter_interactions AS configurator_interactions,
  d.starter_interactions / nullif(d.starters, 0) AS interactions_per_starter,
  coalesce(x.sessions, 0) AS sessions,
  coalesce(x.session_events, 0) AS session_events,
  x.session_events / x.sessions AS events_per_session,
  x.avg_session_duration_s,
  x.median_session_duration_s,
  d.completers,
  d.sharers,
  d.sharers / nullif(d.completers, 0) AS share_rate
FROM days d
LEFT JOIN session_days x ON x.event_date = d.event_date AND x.device_type = d.device_type
