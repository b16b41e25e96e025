{#
  The identity map: each anonymous id that an identify event linked to a user id, with the user id
  of its first identify (first in (occurred_at_corrected, event_id) order). Copies of an identify event
  carry the same ids, so they change nothing here and need no de-duplication.
#}
SELECT
  anonymous_id,
  arg_min(user_id, (occurred_at_corrected, event_id)) AS user_id,
  min(occurred_at_corrected) AS identified_at,
  count(DISTINCT event_id)::INTEGER AS identify_events,
  count(DISTINCT user_id)::INTEGER AS linked_user_ids,
  list_sort(list(DISTINCT user_id)) AS linked_user_id_list
FROM {{ source('lake', 'events') }}
WHERE event_type = 'identify'
  AND anonymous_id IS NOT NULL
  AND anonymous_id <> user_id
GROUP BY anonymous_id
