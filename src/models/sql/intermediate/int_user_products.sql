{#
  Per resolved user and product the user's events mention (prop_product_id of any event, the
  recommended prop_product_ids of result_viewed): what dim_products adds up. Each "latest" value keeps
  its (occurred_at_corrected, event_id) key, so the latest over all users is the arg_max of the users'.

  Incremental (delete+insert on user_id): the users of macros/affected_users.sql are recomputed from
  all their events; one left with no mention gets a tombstone.
#}
WITH
{% if is_incremental() %}
{{ macro('affected_users') }},
{% endif %}
events AS (
  SELECT
    resolved_user_id AS user_id, event_type, occurred_at_corrected, event_id, prop_product_id, prop_product_ids,
    prop_category, prop_price, prop_currency
  FROM {{ ref('stg_events') }}
  WHERE (prop_product_id IS NOT NULL OR prop_product_ids IS NOT NULL)
    {% if is_incremental() %}
    AND resolved_user_id IN (SELECT user_id FROM affected_users)
    {% endif %}
)
, mentions AS (
  SELECT
    user_id, prop_product_id AS product_id, event_type, occurred_at_corrected, event_id, prop_category,
    prop_price, prop_currency
  FROM events
  WHERE prop_product_id IS NOT NULL
  UNION ALL
  SELECT user_id, unnest(prop_product_ids), event_type, occurred_at_corrected, event_id, NULL, NULL, NULL
  FROM events
  WHERE prop_product_ids IS NOT NULL
)
, user_products AS (
  SELECT
    user_id,
    product_id,
    min(occurred_at_corrected) AS first_seen_at,
    max(occurred_at_corrected) AS last_seen_at,
    count(*) FILTER (WHERE event_type = 'product_viewed')::INTEGER AS views,
    count(*) FILTER (WHERE event_type = 'add_to_cart')::INTEGER AS add_to_carts,
    count(*) FILTER (WHERE event_type = 'result_viewed')::INTEGER AS recommendations,
    arg_max(prop_category, (occurred_at_corrected, event_id)) FILTER (WHERE event_type = 'product_viewed')
      AS category,
    max({'at': occurred_at_corrected, 'event_id': event_id})
      FILTER (WHERE event_type = 'product_viewed' AND prop_category IS NOT NULL) AS category_key,
    arg_max(prop_price, (occurred_at_corrected, event_id)) FILTER (WHERE event_type = 'product_viewed')
      AS last_price,
    max({'at': occurred_at_corrected, 'event_id': event_id})
      FILTER (WHERE event_type = 'product_viewed' AND prop_price IS NOT NULL) AS last_price_key,
    arg_max(prop_currency, (occurred_at_corrected, event_id)) FILTER (WHERE event_type = 'product_viewed')
      AS last_price_currency,
    max({'at': occurred_at_corrected, 'event_id': event_id})
      FILTER (WHERE event_type = 'product_viewed' AND prop_currency IS NOT NULL) AS last_price_currency_key,
    {{ run_started_at }} AS _loaded_at
  FROM mentions
  GROUP BY user_id, product_id
)
SELECT * FROM user_products
{% if is_incremental() %}
UNION ALL BY NAME
SELECT user_id, true AS _deleted FROM affected_users WHERE user_id NOT IN (SELECT user_id FROM user_products)
{% endif %}
