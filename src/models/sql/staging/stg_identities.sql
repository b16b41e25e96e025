{#
  The identity map: each anonymous id that an identify event linked to a user id, with the user id
  of its first identify (first in (occurred_at_corrected, event_id) order). Copies of an identify event
  carry the same ids, so they change nothing here and need no de-duplication.

  Incremental (delete+insert on anonymous_id): the map is recomputed from the identify events (a
  narrow read of the lake) and only the anonymous ids whose row changed are written, stamped with
  _loaded_at: the incremental models below recompute those ids and the users they were linked to.
#}
WITH identities AS (
  SELECT
    anonymous_id,
    arg_min(user_id, (occurred_at_corrected, event_id)) AS user_id,
    min(occurred_at_corrected) AS identified_at,
    count(DISTINCT event_id)::INTEGER AS identify_events,
    list_sort(list(DISTINCT user_id)) AS linked_user_id_list
  FROM {{ source('lake', 'events') }}
  WHERE event_type = 'identify'
    AND anonymous_id IS NOT NULL
    AND anonymous_id <> user_id
  GROUP BY anonymous_id
)
SELECT
  i.* EXCLUDE (linked_user_id_list),
  len(i.linked_user_id_list)::INTEGER AS linked_user_ids,
  i.linked_user_id_list,
  {{ run_started_at }} AS _loaded_at
FROM identities i
{% if is_incremental() %}
ANTI JOIN {{ this }} t
  ON t.anonymous_id = i.anonymous_id AND t.user_id = i.user_id AND t.identified_at = i.identified_at
  AND t.identify_events = i.identify_events AND t.linked_user_id_list = i.linked_user_id_list
{% endif %}
