{#
  The sessions the stream closed. The stream writes each session once (exactly-once lake files); should a
  session_key still appear twice, the first written copy (processed_at, then Kafka partition) is kept
  rather than counted twice.
#}
SELECT * EXCLUDE (session_date)
FROM {{ source('lake', 'sessions') }}
QUALIFY row_number() OVER (PARTITION BY session_key ORDER BY processed_at, kafka_partition) = 1
