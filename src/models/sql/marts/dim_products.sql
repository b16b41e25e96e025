{#
  The sums of int_user_products (the events) and int_orders (the orders): the latest category and price
  are the users' latest by their (occurred_at_corrected, event_id) keys.
#}
WITH user_products AS (
  SELECT * FROM {{ ref('int_user_products') }}
)
, order_lines AS (
  SELECT o.order_id, o.ordered_at, unnest(o.items, recursive := true)
  FROM {{ ref('int_orders') }} o
)
, activity AS (
  SELECT
    product_id,
    arg_max(category, category_key) AS category,
    arg_max(last_price, last_price_key) AS last_price,
    arg_max(last_price_currency, last_price_currency_key) AS last_price_currency,
    min(first_seen_at) AS first_seen_at,
    max(last_seen_at) AS last_seen_at,
    sum(views)::INTEGER AS views,
    count(*) FILTER (WHERE views > 0)::INTEGER AS viewers,
    sum(add_to_carts)::INTEGER AS add_to_carts,
    sum(recommendations)::INTEGER AS recommendations
  FROM user_products
  GROUP BY product_id
)
, sales AS (
  SELECT
    product_id,
    min(ordered_at) AS first_ordered_at,
    max(ordered_at) AS last_ordered_at,
    count(DISTINCT order_id)::INTEGER AS orders,
    sum(quantity)::INTEGER AS units_sold
  FROM order_lines
  GROUP BY product_id
)
SELECT
  product_id,
  a.category,
  a.last_price,
  a.last_price_currency,
  least(a.first_seen_at, o.first_ordered_at) AS first_seen_at,
  greatest(a.last_seen_at, o.last_ordered_at) AS last_seen_at,
  coalesce(a.views, 0) AS views,
  coalesce(a.viewers, 0) AS viewers,
  coalesce(a.add_to_carts, 0) AS add_to_carts,
  coalesce(a.recommendations, 0) AS recommendations,
  coalesce(o.orders, 0) AS orders,
  coalesce(o.units_sold, 0) AS units_sold
FROM activity a
FULL JOIN sales o USING (product_id)
