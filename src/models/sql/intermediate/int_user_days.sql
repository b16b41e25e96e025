{#
  Incremental (delete+insert on user_id, every day of the user): the users of
  macros/affected_users.sql are recomputed from all their events; one left with no event (merged into
  another) gets a tombstone.
#}
WITH
{% if is_incremental() %}
{{ macro('affected_users') }},
{% endif %}
days AS (
  SELECT
    resolved_user_id AS user_id,
    event_date,
    count(*) AS events,
    count(DISTINCT session_id) AS sessions,
    min(occurred_at_corrected) AS first_event_at,
    max(occurred_at_corrected) AS last_event_at,
    arg_min(context_device_type, (occurred_at_corrected, event_id)) AS first_device_type,
    {{ run_started_at }} AS _loaded_at
  FROM {{ ref('stg_events') }}
  {% if is_incremental() %}
  WHERE resolved_user_id IN (SELECT user_id FROM affected_users)
  {% endif %}
  GROUP BY resolved_user_id, event_date
)
SELECT * FROM days
{% if is_incremental() %}
UNION ALL BY NAME
SELECT user_id, true AS _deleted FROM affected_users WHERE user_id NOT IN (SELECT user_id FROM days)
{% endif %}
