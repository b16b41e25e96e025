WITH events AS (
  SELECT * FROM {{ ref('stg_events') }}
)
, searches AS (
  SELECT
    prop_search_id AS search_id,
    arg_min(resolved_user_id, (occurred_at_corrected, event_id)) AS user_id,
    min(event_date) AS search_date,
    arg_min(context_device_type, (occurred_at_corrected, event_id)) AS device_type,
    arg_min(prop_results_count, (occurred_at_corrected, event_id)) AS results_count
  FROM events
  WHERE event_type = {{ var('search_event') }} AND prop_search_id IS NOT NULL
  GROUP BY prop_search_id
)
, clicks AS (
  SELECT prop_search_id AS search_id, count(*)::INTEGER AS clicks, min(prop_position) AS first_click_position
  FROM events
  WHERE event_type = {{ var('click_event') }} AND prop_search_id IS NOT NULL
  GROUP BY prop_search_id
)
, bookings AS (
  SELECT prop_search_id AS search_id, count(DISTINCT prop_booking_id)::INTEGER AS bookings
  FROM events
  WHERE event_type = {{ var('booking_event') }} AND prop_search_id IS NOT NULL
  GROUP BY prop_search_id
)
, outcomes AS (
  SELECT s.*, coalesce(c.clicks, 0) AS clicks, c.first_click_position, coalesce(b.bookings, 0) AS bookings
  FROM searches s
  LEFT JOIN clicks c USING (search_id)
  LEFT JOIN bookings b USING (search_id)
)
, expanded AS (
  SELECT * FROM outcomes
  UNION ALL
  SELECT * REPLACE ('all' AS device_type) FROM outcomes
)
SELECT
  search_date,
  device_type,
  count(*)::INTEGER AS searches,
  count(DISTINCT user_id)::INTEGER AS searchers,
  count(*) FILTER (WHERE results_count = 0)::INTEGER AS searches_without_results,
  count(*) FILTER (WHERE clicks > 0)::INTEGER AS searches_with_click,
  sum(clicks)::INTEGER AS clicks,
  count(*) FILTER (WHERE bookings > 0)::INTEGER AS searches_with_booking,
  sum(bookings)::INTEGER AS bookings,
  count(*) FILTER (WHERE clicks > 0) / count(*) AS click_through_rate,
  count(*) FILTER (WHERE bookings > 0) / count(*) AS conversion_rate,
  count(*) FILTER (WHERE bookings > 0 AND clicks > 0) / nullif(count(*) FILTER (WHERE clicks > 0), 0)
    AS click_to_booking_rate,
  avg(first_click_position) AS avg_first_click_position
FROM expanded
GROUP BY search_date, device_type
