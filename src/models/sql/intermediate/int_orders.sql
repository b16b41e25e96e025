{#
  Orders counted once: a purchase event per order_id, the first in (occurred_at_corrected, event_id)
  order (a client that fires purchase twice for one order sends two event ids with one order id).

  Incremental (delete+insert on order_id): the orders of the purchase events loaded since this model's
  last build, or whose user's identity mapping changed since, are recomputed from all their purchase
  events (an order never disappears: events are only added, or replaced by their own copy).
#}
{% if is_incremental() %}
WITH since AS (
  SELECT coalesce(max(_loaded_at), '-infinity') AS loaded_at FROM {{ this }}
)
{% endif %}
SELECT
  prop_order_id AS order_id,
  event_id,
  resolved_user_id AS user_id,
  occurred_at_corrected AS ordered_at,
  event_date AS order_date,
  prop_revenue AS revenue,
  prop_currency AS currency,
  prop_items AS items,
  list_sum(list_transform(prop_items, i -> i.quantity))::INTEGER AS units,
  prop_coupon AS coupon,
  context_device_type AS device_type,
  context_utm_source AS utm_source,
  context_utm_medium AS utm_medium,
  context_utm_campaign AS utm_campaign,
  count(*) OVER (PARTITION BY prop_order_id)::INTEGER AS purchase_events,
  {{ run_started_at }} AS _loaded_at
FROM {{ ref('stg_events') }}
WHERE event_type = {{ var('purchase_event') }} AND prop_order_id IS NOT NULL
  {% if is_incremental() %}
  AND prop_order_id IN (
    SELECT prop_order_id FROM {{ ref('stg_events') }}
    WHERE event_type = {{ var('purchase_event') }}
      AND (
        _loaded_at > (SELECT loaded_at FROM since)
        OR user_id IN (
          SELECT anonymous_id FROM {{ ref('stg_identities') }} WHERE _loaded_at > (SELECT loaded_at FROM since)
        )
      )
  )
  {% endif %}
QUALIFY row_number() OVER (PARTITION BY prop_order_id ORDER BY occurred_at_corrected, event_id) = 1
