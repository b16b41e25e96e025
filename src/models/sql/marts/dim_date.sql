WITH bounds AS (
  SELECT min(event_date) AS first_date, max(event_date) AS last_date FROM {{ ref('int_user_days') }}
)
, days AS (
  SELECT CAST(unnest(generate_series(first_date, last_date, INTERVAL 1 DAY)) AS DATE) AS date_day
  FROM bounds
  WHERE first_date IS NOT NULL
)
SELECT
  date_day,
  year(date_day)::INTEGER AS year,
  quarter(date_day)::INTEGER AS quarter,
  month(date_day)::INTEGER AS month,
  monthname(date_day) AS month_name,
  day(date_day)::INTEGER AS day_of_month,
  isoyear(date_day)::INTEGER AS iso_year,
  week(date_day)::INTEGER AS iso_week,
  isodow(date_day)::INTEGER AS iso_day_of_week,
  dayname(date_day) AS day_name,
  isodow(date_day) >= 6 AS is_weekend,
  CAST(date_trunc('week', date_day) AS DATE) AS week_start,
  CAST(date_trunc('month', date_day) AS DATE) AS month_start
FROM days
