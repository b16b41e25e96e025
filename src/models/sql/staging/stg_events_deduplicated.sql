{#
  One row per event_id. Copies of an event (a client or producer retry, or a duplicate the stream's
  dedup window no longer held) are reduced to the first in (received_at, kafka_partition, kafka_offset)
  order: a total order, since every lake row has its own Kafka position.

  Incremental: the lake rows received since the last run (a Kafka offset above the highest one kept for
  its partition; every row of a partition never kept) compete with the kept copy of their event_id
  (the first copy of an event is the first of the kept one and the new ones, the order being total).
  A new copy that wins replaces the kept row (delete+insert on event_id); a kept copy that stays first
  is not rewritten. The result is what a full refresh gives, and the lake is read only where it grew.

  Every row written carries _loaded_at, the run's start: the models below recompute what changed
  since their own last build by reading the rows loaded after it.
#}
WITH
{% if is_incremental() %}
lake_partitions AS (
  SELECT DISTINCT kafka_partition FROM {{ source('lake', 'events') }}
),
watermarks AS (
  SELECT p.kafka_partition, coalesce(max(t.kafka_offset), -1) AS through
  FROM lake_partitions p
  LEFT JOIN {{ this }} t ON t.kafka_partition = p.kafka_partition
  GROUP BY p.kafka_partition
),
arrived AS (
  SELECT e.* EXCLUDE (event_date, event_hour)
  FROM {{ source('lake', 'events') }} e
  JOIN watermarks w ON e.kafka_partition = w.kafka_partition AND e.kafka_offset > w.through
),
candidates AS (
  SELECT * FROM arrived
  UNION ALL BY NAME
  -- The kept copies of the same events: only what the order needs, and a mark.
  SELECT event_id, received_at, kafka_partition, kafka_offset, true AS _kept
  FROM {{ this }}
  WHERE event_id IN (SELECT event_id FROM arrived)
),
{% else %}
candidates AS (
  SELECT * EXCLUDE (event_date, event_hour) FROM {{ source('lake', 'events') }}
),
{% endif %}
deduplicated AS (
  SELECT *
  FROM candidates
  QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY received_at, kafka_partition, kafka_offset) = 1
)
SELECT
  d.* {% if is_incremental() %} EXCLUDE (_kept) {% endif %},
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
  CASE WHEN d.event_type = 'search_performed' THEN json_extract(d.properties, '$.filters') END AS prop_filters,
  {{ run_started_at }} AS _loaded_at
FROM deduplicated d
{% if is_incremental() %}
WHERE d._kept IS NOT TRUE
{% endif %}
