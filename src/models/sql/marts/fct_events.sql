SELECT
  e.resolved_user_id AS user_id,
  e.user_id AS event_user_id,
  e.* EXCLUDE (resolved_user_id, user_id, kafka_partition, kafka_offset, processed_at, _loaded_at),
  s.session_key,
  s.session_start
FROM {{ ref('stg_events') }} e
JOIN {{ ref('int_events_sessionized') }} s ON s.event_id = e.event_id
