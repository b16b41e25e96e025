{#
  ARCHITECTURE.md's session rules ("Stream semantics: Sessions") in SQL, per user_id (the key the stream sessionizes by) over the events
  that are neither late nor duplicates, in (occurred_at_corrected, event_id) order:
  1. a gap of more than session_gap_ms to the user's previous event starts a new "gap run";
  2. inside a gap run, the cap applies sequentially: the session that starts at s ends before the first
     event later than s + session_max_ms, which starts the next session (each event of the few runs
     longer than the cap points at that event, and a recursive walk follows the pointers from the run's
     first event);
  3. each event belongs to the session with the latest start at or before it in its run.
  Late events (is_late) stay in the table with no session, as the stream leaves them out.

  Incremental (delete+insert on user_id): a user's sessions depend on all of the user's events, so the
  users of the events loaded since this model's last build (new events, new first copies), and the
  anonymous ids whose identity mapping changed since (their resolved_user_id), are recomputed from all
  their events.
#}
WITH
{% if is_incremental() %}
since AS (
  SELECT coalesce(max(_loaded_at), '-infinity') AS loaded_at FROM {{ this }}
),
changed_users AS (
  SELECT user_id FROM {{ ref('stg_events') }} WHERE _loaded_at > (SELECT loaded_at FROM since)
  UNION
  SELECT anonymous_id FROM {{ ref('stg_identities') }} WHERE _loaded_at > (SELECT loaded_at FROM since)
),
{% endif %}
scoped AS (
  SELECT
    event_id, user_id, resolved_user_id, event_type, occurred_at_corrected, is_late, context_device_type,
    context_utm_source, context_utm_medium, context_utm_campaign, kafka_partition, kafka_offset
  FROM {{ ref('stg_events') }}
  {% if is_incremental() %}
  WHERE user_id IN (SELECT user_id FROM changed_users)
  {% endif %}
)
, accepted AS (
  SELECT
    user_id,
    event_id,
    occurred_at_corrected AS t,
    epoch_ms(occurred_at_corrected) AS t_ms,
    CASE
      WHEN epoch_ms(occurred_at_corrected) - lag(epoch_ms(occurred_at_corrected)) OVER by_time
        <= {{ var('session_gap_ms') }} THEN 0
      ELSE 1
    END AS starts_run
  FROM scoped
  WHERE NOT is_late
  WINDOW by_time AS (PARTITION BY user_id ORDER BY occurred_at_corrected, event_id)
)
, runs AS (
  SELECT
    *,
    sum(starts_run) OVER (PARTITION BY user_id ORDER BY t_ms, event_id ROWS UNBOUNDED PRECEDING) AS run_no
  FROM accepted
)
, run_spans AS (
  SELECT user_id, run_no, min(t) AS run_start, min(t_ms) AS run_start_ms, max(t_ms) AS run_end_ms
  FROM runs
  GROUP BY user_id, run_no
)
, long_runs AS (
  SELECT r.*
  FROM runs r
  JOIN run_spans s ON s.user_id = r.user_id AND s.run_no = r.run_no
  WHERE s.run_end_ms - s.run_start_ms > {{ var('session_max_ms') }}
)
, cap_next AS MATERIALIZED (
  SELECT r.event_id, n.event_id AS next_start_id, n.t AS next_start, n.t_ms AS next_start_ms
  FROM long_runs r
  ASOF JOIN long_runs n ON n.user_id = r.user_id AND n.run_no = r.run_no
    AND n.t_ms > r.t_ms + {{ var('session_max_ms') }}
)
, cuts AS (
  WITH RECURSIVE walk AS (
    SELECT r.user_id, r.run_no, r.event_id, r.t AS start, r.t_ms AS start_ms
    FROM long_runs r
    WHERE r.starts_run = 1
    UNION ALL
    SELECT w.user_id, w.run_no, c.next_start_id, c.next_start, c.next_start_ms
    FROM walk w
    JOIN cap_next c ON c.event_id = w.event_id
  )
  SELECT user_id, run_no, start, start_ms FROM walk
)
, assigned AS (
  SELECT
    r.event_id,
    coalesce(c.start, s.run_start) AS session_start,
    coalesce(c.start_ms, s.run_start_ms) AS session_start_ms
  FROM runs r
  JOIN run_spans s ON s.user_id = r.user_id AND s.run_no = r.run_no
  ASOF LEFT JOIN cuts c ON c.user_id = r.user_id AND c.run_no = r.run_no AND r.t_ms >= c.start_ms
)
SELECT
  e.event_id,
  e.user_id,
  e.resolved_user_id,
  e.event_type,
  e.occurred_at_corrected,
  e.is_late,
  e.context_device_type,
  e.context_utm_source,
  e.context_utm_medium,
  e.context_utm_campaign,
  e.kafka_partition,
  e.kafka_offset,
  e.user_id || ':' || CAST(a.session_start_ms AS VARCHAR) AS session_key,
  a.session_start,
  {{ run_started_at }} AS _loaded_at
FROM scoped e
LEFT JOIN assigned a ON a.event_id = e.event_id
