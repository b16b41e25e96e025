{#
  The events that are steps of the product's funnels (var funnels, from src/domain/Funnels.ts): one row
  per (funnel, step, event); an event type that is two steps of one funnel gives two rows. Each event
  carries its position in its user's whole event sequence (every event type, in (occurred_at_corrected,
  event_id) order), which the funnel modes walk: the next step is a later position, and in strict mode
  the very next one.

  Incremental (delete+insert on user_id): the users of macros/affected_users.sql have their whole
  sequence recomputed (a new event shifts the positions after it); one left with no event gets a
  tombstone.
#}
WITH
{% if is_incremental() %}
{{ macro('affected_users') }},
{% endif %}
{{ macro('funnel_steps') }}
, events AS (
  SELECT
    resolved_user_id AS user_id,
    event_id,
    event_type,
    occurred_at_corrected AS occurred_at,
    context_device_type AS device_type,
    context_utm_source AS utm_source,
    row_number() OVER (PARTITION BY resolved_user_id ORDER BY occurred_at_corrected, event_id) AS user_event_seq
  FROM {{ ref('stg_events') }}
  {% if is_incremental() %}
  WHERE resolved_user_id IN (SELECT user_id FROM affected_users)
  {% endif %}
)
, steps AS (
  SELECT s.funnel, s.step_index, e.*, {{ run_started_at }} AS _loaded_at
  FROM events e
  JOIN funnel_steps s ON s.event_type = e.event_type
)
SELECT * FROM steps
{% if is_incremental() %}
UNION ALL BY NAME
SELECT user_id, true AS _deleted FROM affected_users WHERE user_id NOT IN (SELECT user_id FROM steps)
{% endif %}
