{#
  One row per event_id. Copies of an event (a client or producer retry, or a duplicate the stream's
  dedup window no longer held) are reduced to the first in (received_at, kafka_partition, kafka_offset)
  order: a total order, since every lake row has its own Kafka position.

  Incremental: the candidates are the lake rows received since the last run (a Kafka offset above the
  highest one kept for its partition), the kept rows of the same event_ids (the first copy of an event
  is the first of the kept copy and the new ones, the order being total) and the kept rows of every
  anonymous id a newly received identify names (the only way an event's resolved user changes). They
  are de-duplicated and resolved again and replace the rows of their event_ids when the kept copy or
  the resolved user changed: the result is what a full refresh gives, and the lake is read only where
  it grew.

  Every row written carries _loaded_at, the run's start: the models below recompute what changed
  since their own last build by reading the rows loaded after it.
#}
WITH identities AS (
  SELECT anonymous_id, user_id FROM {{ ref('stg_identities') }}
)
{% if is_incremental() %}
, kept AS (
  SELECT kafka_partition, max(kafka_offset) AS through FROM {{ this }} GROUP BY kafka_partition
)
, arrived AS (
  SELECT e.* EXCLUDE (event_date, event_hour)
  FROM {{ source('lake', 'events') }} e
  LEFT JOIN kept k ON e.kafka_partition = k.kafka_partition
  WHERE k.through IS NULL OR e.kafka_offset > k.through
)
, candidates AS (
  SELECT * FROM arrived
  UNION ALL BY NAME
  SELECT
    t.* EXCLUDE (resolved_user_id, event_date, prop_product_ids, prop_items, prop_traits, prop_filters, _loaded_at),
    t.resolved_user_id AS _kept_as
  FROM {{ this }} t
  WHERE t.event_id IN (SELECT event_id FROM arrived)
    OR t.user_id IN (SELECT anonymous_id FROM arrived WHERE event_type = 'identify')
)
{% else %}
, candidates AS (
  SELECT * EXCLUDE (event_date, event_hour) FROM {{ source('lake', 'events') }}
)
{% endif %}
, deduplicated AS (
  SELECT *
  FROM candidates
  QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY received_at, kafka_partition, kafka_offset) = 1
)
SELECT
  d.* {% if is_incremental() %} EXCLUDE (_kept_as) {% endif %},
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
  CASE WHEN d.event_type = 'search_performed' THEN json_extract(d.properties, '$.filters') END AS prop_filters,
  {{ run_started_at }} AS _loaded_at
FROM deduplicated d
LEFT JOIN identities i ON i.anonymous_id = d.user_id
{% if is_incremental() %}
-- A kept row that stays kept and resolves as before is not rewritten: its _loaded_at stays, so the
-- models below do not recompute it (a copy that loses, re-read while it is the partition's last row,
-- changes nothing).
WHERE d._kept_as IS DISTINCT FROM coalesce(i.user_id, d.user_id)
{% endif %}
