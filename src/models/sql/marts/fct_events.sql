SELECT
  resolved_user_id AS user_id,
  user_id AS event_user_id,
  * EXCLUDE (resolved_user_id, user_id, kafka_partition, kafka_offset, processed_at)
FROM {{ ref('int_events_sessionized') }}
