{#
  Incremental (delete+insert on user_id): the users of macros/affected_users.sql are recomputed from
  all their events; one left with no event gets a tombstone.
#}
WITH
{% if is_incremental() %}
{{ macro('affected_users') }},
{% endif %}
events AS (
  SELECT * FROM {{ ref('stg_events') }}
  {% if is_incremental() %}
  WHERE resolved_user_id IN (SELECT user_id FROM affected_users)
  {% endif %}
)
, sessions AS (
  SELECT resolved_user_id AS user_id, count(*)::INTEGER AS sessions
  FROM {{ ref('int_sessions') }}
  {% if is_incremental() %}
  WHERE resolved_user_id IN (SELECT user_id FROM affected_users)
  {% endif %}
  GROUP BY resolved_user_id
)
, journeys AS (
  SELECT
    resolved_user_id AS user_id,
    min(occurred_at_corrected) AS first_seen_at,
    max(occurred_at_corrected) AS last_seen_at,
    min(event_date) AS first_seen_date,
    max(event_date) AS last_seen_date,
    count(*)::INTEGER AS events,
    count(DISTINCT event_date)::INTEGER AS active_days,
    arg_min(context_device_type, (occurred_at_corrected, event_id)) AS first_device_type,
    arg_min_null(context_utm_source, (occurred_at_corrected, event_id)) AS first_utm_source,
    arg_min_null(context_utm_medium, (occurred_at_corrected, event_id)) AS first_utm_medium,
    arg_min_null(context_utm_campaign, (occurred_at_corrected, event_id)) AS first_utm_campaign,
    -- Touches: events whose context carries a utm_source (campaign '(none)' when it has none).
    arg_min(context_utm_source, (occurred_at_corrected, event_id)) FILTER (WHERE context_utm_source IS NOT NULL)
      AS first_touch_utm_source,
    arg_min(coalesce(context_utm_campaign, '(none)'), (occurred_at_corrected, event_id))
      FILTER (WHERE context_utm_source IS NOT NULL) AS first_touch_utm_campaign,
    arg_max(context_utm_source, (occurred_at_corrected, event_id)) FILTER (WHERE context_utm_source IS NOT NULL)
      AS last_touch_utm_source,
    arg_max(coalesce(context_utm_campaign, '(none)'), (occurred_at_corrected, event_id))
      FILTER (WHERE context_utm_source IS NOT NULL) AS last_touch_utm_campaign,
    min(occurred_at_corrected) FILTER (WHERE event_type = {{ var('started_event') }}) AS first_started_at,
    min(occurred_at_corrected) FILTER (WHERE event_type = {{ var('completed_event') }}) AS first_completed_at,
    min(occurred_at_corrected) FILTER (WHERE event_type = {{ var('shared_event') }}) AS first_shared_at,
    min(occurred_at_corrected) FILTER (WHERE event_type = {{ var('purchase_event') }}) AS first_purchase_at,
    count(DISTINCT prop_order_id) FILTER (WHERE event_type = {{ var('purchase_event') }})::INTEGER AS orders
  FROM events
  GROUP BY resolved_user_id
)
, final AS (
  SELECT
    j.*,
    coalesce(CAST(j.first_completed_at AS DATE) = j.first_seen_date, false) AS completed_on_first_day,
    coalesce(s.sessions, 0) AS sessions,
    {{ run_started_at }} AS _loaded_at
  FROM journeys j
  LEFT JOIN sessions s USING (user_id)
)
SELECT * FROM final
{% if is_incremental() %}
UNION ALL BY NAME
SELECT user_id, true AS _deleted FROM affected_users WHERE user_id NOT IN (SELECT user_id FROM final)
{% endif %}
