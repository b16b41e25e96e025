{#
  Per order (int_orders), the first and the last touch of its user at or before the order: a touch is
  an event whose context carries a utm_source (campaign '(none)' when it has none).

  Incremental (delete+insert on user_id, every order of the user): the users of
  macros/affected_users.sql (a touch or an order of theirs changed, or an identify moved events to
  them) have their orders recomputed; one left with no order gets a tombstone.
#}
WITH
{% if is_incremental() %}
{{ macro('affected_users') }},
{% endif %}
orders AS (
  SELECT order_id, user_id, ordered_at FROM {{ ref('int_orders') }}
  {% if is_incremental() %}
  WHERE user_id IN (SELECT user_id FROM affected_users)
  {% endif %}
)
, touches AS (
  SELECT
    resolved_user_id AS user_id,
    occurred_at_corrected AS touched_at,
    event_id,
    context_utm_source AS utm_source,
    coalesce(context_utm_campaign, '(none)') AS utm_campaign
  FROM {{ ref('stg_events') }}
  WHERE context_utm_source IS NOT NULL
    AND resolved_user_id IN (SELECT user_id FROM orders)
)
, order_touches AS (
  SELECT
    o.order_id,
    o.user_id,
    arg_min(t.utm_source, (t.touched_at, t.event_id)) AS first_touch_utm_source,
    arg_min(t.utm_campaign, (t.touched_at, t.event_id)) AS first_touch_utm_campaign,
    arg_max(t.utm_source, (t.touched_at, t.event_id)) AS last_touch_utm_source,
    arg_max(t.utm_campaign, (t.touched_at, t.event_id)) AS last_touch_utm_campaign,
    {{ run_started_at }} AS _loaded_at
  FROM orders o
  LEFT JOIN touches t ON t.user_id = o.user_id AND t.touched_at <= o.ordered_at
  GROUP BY o.order_id, o.user_id
)
SELECT * FROM order_touches
{% if is_incremental() %}
UNION ALL BY NAME
SELECT user_id, true AS _deleted FROM affected_users WHERE user_id NOT IN (SELECT user_id FROM order_touches)
{% endif %}
