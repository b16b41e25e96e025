{#
  Incremental (delete+insert on user_id, every experiment of the user): the affected users are found as
  in int_user_days and recomputed from all their exposures; one left with none gets a tombstone.
#}
WITH
{% if is_incremental() %}
changed AS (
  SELECT user_id, resolved_user_id FROM {{ ref('stg_events') }}
  WHERE _loaded_at > (SELECT coalesce(max(_loaded_at), '-infinity') FROM {{ this }})
),
affected_users AS (
  SELECT resolved_user_id AS user_id FROM changed
  UNION SELECT user_id FROM changed
  UNION SELECT unnest(linked_user_id_list) FROM {{ ref('stg_identities') }}
  WHERE anonymous_id IN (SELECT user_id FROM changed)
),
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
, users AS (
  SELECT
    experiment_key,
    user_id,
    arg_min(variant, (occurred_at_corrected, event_id)) AS variant,
    min(occurred_at_corrected) AS first_exposed_at,
    arg_min(context_device_type, (occurred_at_corrected, event_id)) AS device_type,
    count(*)::INTEGER AS exposure_events,
    count(DISTINCT variant)::INTEGER AS variants_seen,
    count(DISTINCT variant) > 1 AS is_excluded,
    {{ run_started_at }} AS _loaded_at
  FROM exposures
  GROUP BY experiment_key, user_id
)
SELECT * FROM users
{% if is_incremental() %}
UNION ALL BY NAME
SELECT user_id, true AS _deleted FROM affected_users WHERE user_id NOT IN (SELECT user_id FROM users)
{% endif %}
