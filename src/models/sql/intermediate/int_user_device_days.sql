{#
  Per resolved user, UTC day and device (each event's context_device_type, and 'all' for every device
  of the day): what fct_daily_engagement counts, reduced so that its 24-hour windows need only this
  day's and the next day's rows. A start at s (or a completion at c) is followed within a window of at
  most a day by a completion (share) on the same day at or after it — the day's latest is — or on the
  next day no later than s + window — the next day's earliest is.

  Incremental (delete+insert on user_id): the users of macros/affected_users.sql are recomputed from
  all their events; one left with no event gets a tombstone.
#}
WITH
{% if is_incremental() %}
{{ macro('affected_users') }},
{% endif %}
events AS (
  SELECT
    resolved_user_id AS user_id,
    event_type,
    event_date,
    occurred_at_corrected AS t,
    context_device_type AS device_type
  FROM {{ ref('stg_events') }}
  {% if is_incremental() %}
  WHERE resolved_user_id IN (SELECT user_id FROM affected_users)
  {% endif %}
)
, expanded AS (
  SELECT * FROM events
  UNION ALL
  SELECT * REPLACE ('all' AS device_type) FROM events
)
, device_days AS (
  SELECT
    user_id,
    event_date,
    device_type,
    count(*)::INTEGER AS events,
    min(t) FILTER (WHERE event_type = {{ var('started_event') }}) AS first_started_at,
    count(*) FILTER (WHERE event_type IN (SELECT unnest({{ var('interaction_events') }})))::INTEGER AS interactions,
    min(t) FILTER (WHERE event_type = {{ var('completed_event') }}) AS first_completed_at
  FROM expanded
  GROUP BY user_id, event_date, device_type
)
, user_days AS (
  SELECT
    user_id,
    event_date,
    min(t) FILTER (WHERE event_type = {{ var('completed_event') }}) AS day_first_completed_at,
    max(t) FILTER (WHERE event_type = {{ var('completed_event') }}) AS day_last_completed_at,
    min(t) FILTER (WHERE event_type = {{ var('shared_event') }}) AS day_first_shared_at,
    max(t) FILTER (WHERE event_type = {{ var('shared_event') }}) AS day_last_shared_at
  FROM events
  GROUP BY user_id, event_date
)
, final AS (
  SELECT d.*, u.* EXCLUDE (user_id, event_date), {{ run_started_at }} AS _loaded_at
  FROM device_days d
  JOIN user_days u USING (user_id, event_date)
)
SELECT * FROM final
{% if is_incremental() %}
UNION ALL BY NAME
SELECT user_id, true AS _deleted FROM affected_users WHERE user_id NOT IN (SELECT user_id FROM final)
{% endif %}
