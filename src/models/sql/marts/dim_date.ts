import { defineModel, notNull, unique } from "../../runner/Model.ts"

export default defineModel({
  name: "dim_date",
  layer: "marts",
  materialized: "table",
  description:
    "One row per UTC calendar day from the first to the last day with an event (no gaps, so charts show quiet " +
    "days as zeros when joined): ISO year, week and day of week (Monday = 1), quarter, month, weekend flag, and " +
    "the Monday of the week and the first of the month.",
  columns: {
    date_day: { description: "the UTC day", tests: [unique(), notNull()] },
    year: { description: "calendar year" },
    quarter: { description: "calendar quarter, 1–4" },
    month: { description: "calendar month, 1–12" },
    month_name: { description: "English month name" },
    day_of_month: { description: "1–31" },
    iso_year: { description: "ISO 8601 week-numbering year" },
    iso_week: { description: "ISO 8601 week, 1–53" },
    iso_day_of_week: { description: "ISO day of week, Monday = 1 … Sunday = 7" },
    day_name: { description: "English day name" },
    is_weekend: { description: "Saturday or Sunday" },
    week_start: { description: "the Monday of the ISO week" },
    month_start: { description: "the first day of the month" }
  },
  tests: [
    {
      name: "no_gaps",
      description: "consecutive days: the span in days + 1 equals the row count",
      sql: "SELECT count(*) AS n, max(date_day) - min(date_day) + 1 AS span FROM {{ this }} HAVING count(*) > 0 AND count(*) <> max(date_day) - min(date_day) + 1"
    }
  ]
})
