{#
  A model that keeps state between runs (the history dbt keeps in snapshots): each run takes the
  current segments of dim_users and, in an incremental run, compares them with the segments the table
  recorded at the previous run ({{ this }}). The unique key is snapshot, one constant value, so the
  delete+insert replaces the whole table in one transaction: a user who no longer exists (merged into
  another by identify) leaves it. A full refresh (or the first build) starts the history again.
#}
WITH current_segments AS (
  SELECT user_id, segment, as_of_date FROM {{ ref('dim_users') }}
)
{% if is_incremental() %}
SELECT
  'latest' AS snapshot,
  c.user_id,
  c.segment,
  c.as_of_date,
  CAST(CASE WHEN p.segment IS DISTINCT FROM c.segment THEN p.segment ELSE p.previous_segment END AS VARCHAR)
    AS previous_segment,
  CAST(CASE WHEN p.segment IS DISTINCT FROM c.segment THEN c.as_of_date ELSE p.segment_since END AS DATE)
    AS segment_since,
  CAST(p.segment AS VARCHAR) AS previous_run_segment,
  CAST(p.as_of_date AS DATE) AS previous_run_as_of_date,
  p.segment IS DISTINCT FROM c.segment AS changed_in_last_run
FROM current_segments c
LEFT JOIN {{ this }} p ON p.user_id = c.user_id
{% else %}
SELECT
  'latest' AS snapshot,
  user_id,
  segment,
  as_of_date,
  CAST(NULL AS VARCHAR) AS previous_segment,
  as_of_date AS segment_since,
  CAST(NULL AS VARCHAR) AS previous_run_segment,
  CAST(NULL AS DATE) AS previous_run_as_of_date,
  false AS changed_in_last_run
FROM current_segments
{% endif %}
