{#
  A touch is an event whose context carries a utm_source (the campaign of the landing URL). First touch
  credits the user's earliest touch, last touch the latest; an order is credited to the first (last)
  touch at or before it, users to their first (last) touch overall. No touch at all: '(direct)'.
#}
WITH touches AS (
  SELECT
    resolved_user_id AS user_id,
    occurred_at_corrected AS touched_at,
    event_id,
    context_utm_source AS utm_source,
    coalesce(context_utm_campaign, '(none)') AS utm_campaign
  FROM {{ ref('stg_events') }}
  WHERE context_utm_source IS NOT NULL
)
, orders AS (
  SELECT order_id, user_id, ordered_at, revenue, currency FROM {{ ref('int_orders') }}
)
, user_touches AS (
  SELECT
    u.user_id,
    arg_min(t.utm_source, (t.touched_at, t.event_id)) AS first_source,
    arg_min(t.utm_campaign, (t.touched_at, t.event_id)) AS first_campaign,
    arg_max(t.utm_source, (t.touched_at, t.event_id)) AS last_source,
    arg_max(t.utm_campaign, (t.touched_at, t.event_id)) AS last_campaign
  FROM {{ ref('int_user_journeys') }} u
  LEFT JOIN touches t ON t.user_id = u.user_id
  GROUP BY u.user_id
)
, order_touches AS (
  SELECT
    o.order_id,
    o.user_id,
    o.revenue,
    o.currency,
    arg_min(t.utm_source, (t.touched_at, t.event_id)) AS first_source,
    arg_min(t.utm_campaign, (t.touched_at, t.event_id)) AS first_campaign,
    arg_max(t.utm_source, (t.touched_at, t.event_id)) AS last_source,
    arg_max(t.utm_campaign, (t.touched_at, t.event_id)) AS last_campaign
  FROM orders o
  LEFT JOIN touches t ON t.user_id = o.user_id AND t.touched_at <= o.ordered_at
  GROUP BY o.order_id, o.user_id, o.revenue, o.currency
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
