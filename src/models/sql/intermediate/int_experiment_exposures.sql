WITH exposures AS (
  SELECT
    resolved_user_id AS user_id,
    prop_experiment_key AS experiment_key,
    prop_variant AS variant,
    occurred_at_corrected,
    event_id,
    context_device_type
  FROM {{ ref('stg_events') }}
  WHERE event_type = {{ var('exposure_event') }}
    AND prop_experiment_key IS NOT NULL
    AND prop_variant IS NOT NULL
)
SELECT
  experiment_key,
  user_id,
  arg_min(variant, (occurred_at_corrected, event_id)) AS variant,
  min(occurred_at_corrected) AS first_exposed_at,
  arg_min(context_device_type, (occurred_at_corrected, event_id)) AS device_type,
  count(*)::INTEGER AS exposure_events,
  count(DISTINCT variant)::INTEGER AS variants_seen,
  count(DISTINCT variant) > 1 AS is_excluded
FROM exposures
GROUP BY experiment_key, user_id
