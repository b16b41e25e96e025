{#
  The de-duplicated events with the user every model counts. A view: the identity map changes the
  resolved user of old events without rewriting them (stg_identities stamps the anonymous ids whose
  mapping changed, and the incremental models below recompute those users).
#}
SELECT
  d.*,
  coalesce(i.user_id, d.user_id) AS resolved_user_id
FROM {{ ref('stg_events_deduplicated') }} d
LEFT JOIN {{ ref('stg_identities') }} i ON i.anonymous_id = d.user_id
