{#
  Incremental (delete+insert on user_id, every experiment of the user): the users of
  macros/affected_users.sql are recomputed from all their exposures; one left with none gets a
  tombstone.
#}
WITH
{% if is_incremental() %}
{{ macro('affected_users') }},
{% endif %}
exposures AS (
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
    {% if is_incremental() %}
    AND resolved_user_id IN (SELECT user_id FROM affected_users)
    {% endif %}
)
, exposed AS (
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
)
, metrics AS (
  SELECT unnest({{ var('metrics') }}, recursive := true)
)
, conversions AS (
  SELECT x.experiment_key, x.user_id, list_sort(list(DISTINCT m.metric)) AS converted_metrics
  FROM exposed x
  JOIN {{ ref('stg_events') }} e ON e.resolved_user_id = x.user_id AND e.occurred_at_corrected >= x.first_exposed_at
  JOIN metrics m ON m.event_type = e.event_type
  GROUP BY x.experiment_key, x.user_id
)
, users AS (
  SELECT x.*, coalesce(c.converted_metrics, []) AS converted_metrics, {{ run_started_at }} AS _loaded_at
  FROM exposed x
  LEFT JOIN conversions c USING (experiment_key, user_id)
)
SELECT * FROM users
{% if is_incremental() %}
UNION ALL BY NAME
SELECT user_id, true AS _deleted FROM affected_users WHERE user_id NOT IN (SELECT user_id FROM users)
{% endif %}
