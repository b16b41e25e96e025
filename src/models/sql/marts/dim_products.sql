WITH events AS (
  SELECT * FROM {{ ref('stg_events') }}
)
, mentions AS (
  SELECT prop_product_id AS product_id, event_type, resolved_user_id AS user_id, occurred_at_corrected, event_id
  FROM events
  WHERE prop_product_id IS NOT NULL
  UNION ALL
  SELECT unnest(prop_product_ids), event_type, resolved_user_id, occurred_at_corrected, event_id
  FROM events
  WHERE prop_product_ids IS NOT NULL
)
, order_lines AS (
  SELECT o.order_id, o.ordered_at, o.event_id, unnest(o.items, recursive := true)
  FROM {{ ref('int_orders') }} o
)
, catalog_views AS (
  SELECT
    prop_product_id AS product_id,
    arg_max(prop_category, (occurred_at_corrected, event_id)) AS category,
    arg_max(prop_price, (occurred_at_corrected, event_id)) AS last_price,
    arg_max(prop_currency, (occurred_at_corrected, event_id)) AS last_price_currency
  FROM events
  WHERE event_type = 'product_viewed'
  GROUP BY prop_product_id
)
, seen AS (
  SELECT product_id, occurred_at_corrected FROM mentions
  UNION ALL
  SELECT product_id, ordered_at FROM order_lines
)
, activity AS (
  SELECT
    product_id,
    count(*) FILTER (WHERE event_type = 'product_viewed')::INTEGER AS views,
    count(DISTINCT user_id) FILTER (WHERE event_type = 'product_viewed')::INTEGER AS viewers,
    count(*) FILTER (WHERE event_type = 'add_to_cart')::INTEGER AS add_to_carts,
    count(*) FILTER (WHERE event_type = 'result_viewed')::INTEGER AS recommendations
  FROM mentions
  GROUP BY product_id
)
, sales AS (
  SELECT product_id, count(DISTINCT order_id)::INTEGER AS orders, sum(quantity)::INTEGER AS units_sold
  FROM order_lines
  GROUP BY product_id
)
SELECT
  s.product_id,
  c.category,
  c.last_price,
  c.last_price_currency,
  min(s.occurred_at_corrected) AS first_seen_at,
  max(s.occurred_at_corrected) AS last_seen_at,
  coalesce(any_value(a.views), 0) AS views,
  coalesce(any_value(a.viewers), 0) AS viewers,
  coalesce(any_value(a.add_to_carts), 0) AS add_to_carts,
  coalesce(any_value(a.recommendations), 0) AS recommendations,
  coalesce(any_value(o.orders), 0) AS orders,
  coalesce(any_value(o.units_sold), 0) AS units_sold
FROM seen s
LEFT JOIN catalog_views c ON c.product_id = s.product_id
LEFT JOIN activity a ON a.product_id = s.product_id
LEFT JOIN sales o ON o.product_id = s.product_id
GROUP BY s.product_id, c.category, c.last_price, c.last_price_currency
