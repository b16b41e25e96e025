{#
  One row per event_id. Copies of an event (a client or producer retry, or a duplicate the stream's
  dedup window no longer held) are reduced to the first in (received_at, kafka_partition, kafka_offset)
  order: a total order, since every lake row has its own Kafka position.

  Incremental: the event_ids of rows the lake received since the last run (a Kafka offset above the
  highest one kept for its partition), and of kept rows whose resolved user the identity map now
  resolves differently (a new or earlier identify), are recomputed from all their copies, old and new,
  and replace their rows (delete+insert on event_id): the result is what a full refresh gives.
#}
WITH events AS (
  SELECT * EXCLUDE (event_date, event_hour) FROM {{ source('lake', 'events') }}
)
, identities AS (
  SELECT anonymous_id, user_id FROM {{ ref('stg_identities') }}
)
{% if is_incremental() %}
, kept AS (
  SELECT kafka_partition, max(kafka_offset) AS through FROM {{ this }} GROUP BY kafka_partition
)
, changed AS (
  SELECT DISTINCT e.event_id
  FROM events e LEFT JOIN kept k ON e.kafka_partition = k.kafka_partition
  WHERE k.through IS NULL OR e.kafka_offset > k.through
  UNION
  SELECT t.event_id
  FROM {{ this }} t LEFT JOIN identities i ON i.anonymous_id = t.user_id
  WHERE t.resolved_user_id IS DISTINCT FROM coalesce(i.user_id, t.user_id)
)
{% endif %}
, deduplicated AS (
  SELECT *
  FROM events
  {% if is_incremental() %}
  WHERE event_id IN (SELECT event_id FROM changed)
  {% endif %}
  QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY received_at, kafka_partition, kafka_offset) = 1
)
SELECT
  d.*,
  coalesce(i.user_id, d.user_id) AS resolved_user_id,
  CAST(d.occurred_at_corrected AS DATE) AS event_date,
  -- The structured properties, parsed only for the event types that have them.
  CASE WHEN d.event_type = 'result_viewed'
    THEN CAST(json_extract(d.properties, '$.product_ids') AS VARCHAR[])
  END AS prop_product_ids,
  CASE WHEN d.event_type = 'purchase'
    THEN CAST(
      json_extract(d.properties, '$.items') AS STRUCT(product_id VARCHAR, quantity INTEGER, unit_price DOUBLE)[]
    )
  END AS prop_items,
  CASE WHEN d.event_type = 'identify' THEN json_extract(d.properties, '$.traits') END AS prop_traits,
  CASE WHEN d.event_type = 'search_performed' THEN json_extract(d.properties, '$.filters') END AS prop_filters
FROM deduplicated d
LEFT JOIN identities i ON i.anonymous_id = d.user_id
