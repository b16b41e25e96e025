{#
  A touch is an event whose context carries a utm_source (the campaign of the landing URL). First touch
  credits the user's earliest touch, last touch the latest; an order is credited to the first (last)
  touch at or before it, users to their first (last) touch overall. No touch at all: '(direct)'. The
  touches come from int_user_journeys (users) and int_order_touches (orders).
#}
WITH orders AS (
  SELECT o.order_id, o.user_id, o.revenue, o.currency, t.* EXCLUDE (order_id, user_id, _loaded_at)
  FROM {{ ref('int_orders') }} o
  JOIN {{ ref('int_order_touches') }} t USING (order_id)
)
, user_touches AS (
  SELECT
    user_id,
    first_touch_utm_source AS first_source,
    first_touch_utm_campaign AS first_campaign,
    last_touch_utm_source AS last_source,
    last_touch_utm_campaign AS last_campaign
  FROM {{ ref('int_user_journeys') }}
)
, order_touches AS (
  SELECT
    order_id,
    user_id,
    revenue,
    currency,
    first_touch_utm_source AS first_source,
    first_touch_utm_campaign AS first_campaign,
    last_touch_utm_source AS last_source,
    last_touch_utm_campaign AS last_campaign
  FROM orders
)
, credited_users AS (
  SELECT 'first_touch' AS attribution_model, user_id, first_source AS utm_source, first_campaign AS utm_campaign
  FROM user_touches
  UNION ALL
  SELECT 'last_touch', user_id, last_source, last_campaign FROM user_touches
)
, credited_orders AS (
  SELECT 'first_touch' AS attribution_model, order_id, user_id, revenue, currency,
    first_source AS utm_source, first_campaign AS utm_campaign
  FROM order_touches
  UNION ALL
  SELECT 'last_touch', order_id, user_id, revenue, currency, last_source, last_campaign FROM order_touches
)
, touch_users AS (
  SELECT
    attribution_model,
    coalesce(utm_source, '(direct)') AS utm_source,
    coalesce(utm_campaign, '(direct)') AS utm_campaign,
    count(*)::INTEGER AS users
  FROM credited_users
  GROUP BY ALL
)
, touch_orders AS (
  SELECT
    attribution_model,
    coalesce(utm_source, '(direct)') AS utm_source,
    coalesce(utm_campaign, '(direct)') AS utm_campaign,
    currency,
    count(DISTINCT user_id)::INTEGER AS converting_users,
    count(*)::INTEGER AS orders,
    sum(revenue) AS revenue
  FROM credited_orders
  GROUP BY ALL
)
, touch_keys AS (
  SELECT attribution_model, utm_source, utm_campaign FROM touch_users
  UNION
  SELECT attribution_model, utm_source, utm_campaign FROM touch_orders
)
, currencies AS (
  SELECT DISTINCT currency FROM orders
)
SELECT
  k.attribution_model,
  k.utm_source,
  k.utm_campaign,
  c.currency,
  coalesce(u.users, 0) AS users,
  coalesce(o.converting_users, 0) AS converting_users,
  coalesce(o.orders, 0) AS orders,
  coalesce(o.revenue, 0) AS revenue
FROM touch_keys k
LEFT JOIN currencies c ON true
LEFT JOIN touch_users u USING (attribution_model, utm_source, utm_campaign)
LEFT JOIN touch_orders o
  ON o.attribution_model = k.attribution_model AND o.utm_source = k.utm_source
  AND o.utm_campaign = k.utm_campaign AND o.currency = c.currency
