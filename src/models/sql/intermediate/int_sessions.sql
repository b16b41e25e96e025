{#
  Incremental (delete+insert on user_id): the sessions of the users int_events_sessionized recomputed
  since this model's last build; a user left with no session (every event of theirs now late) gets a
  tombstone.
#}
WITH
{% if is_incremental() %}
changed_users AS (
  SELECT DISTINCT user_id FROM {{ ref('int_events_sessionized') }}
  WHERE _loaded_at > (SELECT coalesce(max(_loaded_at), '-infinity') FROM {{ this }})
),
{% endif %}
sessions AS (
  SELECT
    session_key,
    user_id,
    any_value(resolved_user_id) AS resolved_user_id,
    min(session_start) AS session_start,
    max(occurred_at_corrected) AS session_end,
    count(*)::INTEGER AS event_count,
    arg_min(event_type, (occurred_at_corrected, event_id)) AS first_event_type,
    arg_max(event_type, (occurred_at_corrected, event_id)) AS last_event_type,
    arg_min(context_device_type, (occurred_at_corrected, event_id)) AS device_type,
    arg_min_null(context_utm_source, (occurred_at_corrected, event_id)) AS utm_source,
    arg_min_null(context_utm_medium, (occurred_at_corrected, event_id)) AS utm_medium,
    arg_min_null(context_utm_campaign, (occurred_at_corrected, event_id)) AS utm_campaign,
    count(*) = 1 AS is_bounce,
    bool_or(event_type = 'purchase') AS is_converted,
    arg_min(kafka_partition, (occurred_at_corrected, event_id)) AS kafka_partition,
    (epoch_ms(max(occurred_at_corrected)) - epoch_ms(min(session_start))) / 1000.0 AS duration_s,
    CAST(min(session_start) AS DATE) AS session_date,
    {{ run_started_at }} AS _loaded_at
  FROM {{ ref('int_events_sessionized') }}
  WHERE session_key IS NOT NULL
    {% if is_incremental() %}
    AND user_id IN (SELECT user_id FROM changed_users)
    {% endif %}
  GROUP BY session_key, user_id
)
SELECT * FROM sessions
{% if is_incremental() %}
UNION ALL BY NAME
SELECT user_id, true AS _deleted FROM changed_users WHERE user_id NOT IN (SELECT user_id FROM sessions)
{% endif %}
