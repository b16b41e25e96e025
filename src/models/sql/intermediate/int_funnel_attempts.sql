{#
  Each user's best attempt at every funnel of var funnels in the three modes, per breakdown value, over
  int_funnel_steps (steps in each user's event sequence, user_event_seq). An attempt is one entry into
  the funnel:
  - ordered: an attempt starts at each step-1 event; step k is the user's first step-k event after
    step k-1 (later in the sequence), the earliest choice being the one that reaches furthest (each
    step event points at the next step's first event after it; a recursive walk follows the pointers);
  - strict: as ordered, but step k must be the user's very next event after step k-1;
  - unordered: an attempt starts at each step event; it has reached k steps when k different steps
    happened at or after it (the first of each).
  Every step must happen within window_ms of the attempt's first event. Per user (and breakdown value
  of the attempt's first event), the attempt that reaches furthest counts, the earliest on a tie; its
  step times give the time to convert.

  Incremental (delete+insert on user_id): the users of macros/affected_users.sql have their attempts
  recomputed; one left with no attempt gets a tombstone.
#}
WITH
{% if is_incremental() %}
{{ macro('affected_users') }},
{% endif %}
steps AS (
  SELECT * FROM {{ ref('int_funnel_steps') }}
  {% if is_incremental() %}
  WHERE user_id IN (SELECT user_id FROM affected_users)
  {% endif %}
)
, {{ macro('funnel_steps') }}
, ordered_next AS MATERIALIZED (
  SELECT e.funnel, e.step_index, e.event_id, n.event_id AS next_event_id, n.occurred_at AS next_at
  FROM steps e
  ASOF JOIN steps n
    ON n.funnel = e.funnel AND n.user_id = e.user_id AND n.step_index = e.step_index + 1
    AND n.user_event_seq > e.user_event_seq
)
, ordered_walk AS (
  WITH RECURSIVE walk AS (
    SELECT
      funnel, user_id, event_id AS attempt_id, occurred_at AS attempt_at, device_type, utm_source,
      1 AS step_index, event_id, occurred_at
    FROM steps
    WHERE step_index = 1
    UNION ALL
    SELECT
      w.funnel, w.user_id, w.attempt_id, w.attempt_at, w.device_type, w.utm_source,
      w.step_index + 1, n.next_event_id, n.next_at
    FROM walk w
    JOIN ordered_next n ON n.funnel = w.funnel AND n.step_index = w.step_index AND n.event_id = w.event_id
    WHERE epoch_ms(n.next_at) - epoch_ms(w.attempt_at) <= {{ var('window_ms') }}
  )
  SELECT * FROM walk
)
, strict_walk AS (
  WITH RECURSIVE walk AS (
    SELECT
      funnel, user_id, event_id AS attempt_id, occurred_at AS attempt_at, device_type, utm_source,
      1 AS step_index, occurred_at, user_event_seq
    FROM steps
    WHERE step_index = 1
    UNION ALL
    SELECT
      w.funnel, w.user_id, w.attempt_id, w.attempt_at, w.device_type, w.utm_source,
      s.step_index, s.occurred_at, s.user_event_seq
    FROM walk w
    JOIN steps s
      ON s.funnel = w.funnel AND s.user_id = w.user_id AND s.step_index = w.step_index + 1
      AND s.user_event_seq = w.user_event_seq + 1
    WHERE epoch_ms(s.occurred_at) - epoch_ms(w.attempt_at) <= {{ var('window_ms') }}
  )
  SELECT * FROM walk
)
, unordered_reach AS (
  SELECT
    a.funnel, a.user_id, a.event_id AS attempt_id, a.occurred_at AS attempt_at, a.device_type, a.utm_source,
    k.step_index, s.occurred_at
  FROM steps a
  JOIN funnel_steps k ON k.funnel = a.funnel
  ASOF JOIN steps s
    ON s.funnel = a.funnel AND s.user_id = a.user_id AND s.step_index = k.step_index
    AND s.user_event_seq >= a.user_event_seq
  WHERE epoch_ms(s.occurred_at) - epoch_ms(a.occurred_at) <= {{ var('window_ms') }}
)
, attempts AS (
  SELECT
    'ordered' AS mode, funnel, user_id, attempt_id, attempt_at, device_type, utm_source,
    max(step_index) AS reached, list(occurred_at ORDER BY step_index) AS step_times
  FROM ordered_walk
  GROUP BY funnel, user_id, attempt_id, attempt_at, device_type, utm_source
  UNION ALL
  SELECT
    'strict', funnel, user_id, attempt_id, attempt_at, device_type, utm_source,
    max(step_index), list(occurred_at ORDER BY step_index)
  FROM strict_walk
  GROUP BY funnel, user_id, attempt_id, attempt_at, device_type, utm_source
  UNION ALL
  SELECT
    'unordered', funnel, user_id, attempt_id, attempt_at, device_type, utm_source,
    count(*), list(occurred_at ORDER BY occurred_at)
  FROM unordered_reach
  GROUP BY funnel, user_id, attempt_id, attempt_at, device_type, utm_source
)
, broken_down AS (
  SELECT *, 'none' AS breakdown, '(all)' AS breakdown_value FROM attempts
  UNION ALL
  SELECT *, 'device_type', device_type FROM attempts
  UNION ALL
  SELECT *, 'utm_source', coalesce(utm_source, '(none)') FROM attempts
)
, best AS (
  SELECT mode, funnel, breakdown, breakdown_value, user_id, reached, step_times, {{ run_started_at }} AS _loaded_at
  FROM broken_down
  QUALIFY row_number() OVER (
    PARTITION BY mode, funnel, breakdown, breakdown_value, user_id
    ORDER BY reached DESC, attempt_at, attempt_id
  ) = 1
)
SELECT * FROM best
{% if is_incremental() %}
UNION ALL BY NAME
SELECT user_id, true AS _deleted FROM affected_users WHERE user_id NOT IN (SELECT user_id FROM best)
{% endif %}
