{#
  The users a per-user incremental model recomputes: the resolved users of the events stg_events
  loaded after the model's own latest _loaded_at, and, for every identity mapping stg_identities
  changed after it, the anonymous id (counted as itself before) and every user it was ever linked to
  (its events counted there before). Two CTEs, `since` and `affected_users (user_id)`, for a WITH list:

    WITH
    {% if is_incremental() %}
    {{ macro('affected_users') }},
    {% endif %}
    ...
#}
since AS (
  SELECT coalesce(max(_loaded_at), '-infinity') AS loaded_at FROM {{ this }}
),
affected_users AS (
  SELECT resolved_user_id AS user_id FROM {{ ref('stg_events') }}
  WHERE _loaded_at > (SELECT loaded_at FROM since)
  UNION
  SELECT unnest(list_append(linked_user_id_list, anonymous_id)) FROM {{ ref('stg_identities') }}
  WHERE _loaded_at > (SELECT loaded_at FROM since)
)
