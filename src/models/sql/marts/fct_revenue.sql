SELECT
  order_date,
  device_type,
  coalesce(utm_campaign, '(none)') AS utm_campaign,
  currency,
  count(*)::INTEGER AS orders,
  sum(revenue) AS revenue,
  sum(revenue) / count(*) AS average_order_value,
  sum(units)::INTEGER AS units,
  count(DISTINCT user_id)::INTEGER AS buyers
FROM {{ ref('int_orders') }}
GROUP BY order_date, device_type, coalesce(utm_campaign, '(none)'), currency
