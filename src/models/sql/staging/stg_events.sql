{#
  One row per event_id. Copies of an event (a client or producer retry, or a duplicate the stream's
  dedup window no longer held) are reduced to the first in (received_at, kafka_partition, kafka_offset)
  order: a total order, since every lake row has its own Kafka position.

  Incremental: the event_ids of rows the lake received since the last run (a Kafka offset above the
  highest one kept for its partition) are recomputed from all their copies, old and new, and replace
  their rows (delete+insert on event_id): the result is what a full refresh gives.
#}
WITH events AS (
  SELECT * EXCLUDE (event_date, event_hour) FROM {{ source('lake', 'events') }}
)
{% if is_incremental() %}
, kept AS (
  SELECT kafka_partition, max(kafka_offset) AS through FROM {{ this }} GROUP BY kafka_partition
)
, changed AS (
  SELECT DISTINCT e.event_id
  FROM events e LEFT JOIN kept k ON e.kafka_partition = k.kafka_partition
  WHERE k.through IS NULL OR e.kafka_offset > k.through
)
{% endif %}
SELECT
  *,
  CAST(occurred_at_corrected AS DATE) AS event_date
FROM events
{% if is_incremental() %}
WHERE event_id IN (SELECT event_id FROM changed)
{% endif %}
QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY received_at, kafka_partition, kafka_offset) = 1
