import { ATTRIBUTION_MODELS } from "../../../domain/Metrics.ts"
import { acceptedValues, defineModel, notNull } from "../../runner/Model.ts"

export default defineModel({
  name: "mart_campaign_attribution",
  layer: "marts",
  materialized: "table",
  description:
    "First- and last-touch attribution by utm_source and utm_campaign. A touch is an event whose context has a " +
    "utm_source (utm_campaign '(none)' when only the source is set); users are resolved users; touches are " +
    "ordered by (occurred_at_corrected, event_id). users = users whose earliest (first_touch) or latest " +
    "(last_touch) touch is this source and campaign, '(direct)' for users with no touch. Orders (int_orders, " +
    "counted once by order_id) are credited to the user's earliest (latest) touch at or before the order, " +
    "'(direct)' when there is none: orders, converting_users (distinct users with a credited order, the " +
    "conversions) and revenue per currency. Grain: model, source, campaign and currency — one row per currency " +
    "the shop has taken orders in (currency NULL while there are none); users are per source and campaign and " +
    "repeat on each currency row, so never sum users across currencies.",
  columns: {
    attribution_model: {
      description: "first_touch or last_touch",
      tests: [notNull(), acceptedValues(ATTRIBUTION_MODELS)]
    },
    utm_source: { description: "the touch's utm_source, or '(direct)'", tests: [notNull()] },
    utm_campaign: { description: "the touch's utm_campaign, '(none)' or '(direct)'", tests: [notNull()] },
    currency: { description: "currency of the orders and revenue on this row" },
    users: { description: "users credited to this touch (whatever they bought)", tests: [notNull()] },
    converting_users: {
      description: "distinct users with an order credited here in this currency",
      tests: [notNull()]
    },
    orders: { description: "orders credited here in this currency", tests: [notNull()] },
    revenue: { description: "sum of those orders' totals", tests: [notNull()] }
  },
  tests: [
    {
      name: "each_model_credits_every_order_once",
      sql: `SELECT m.attribution_model, o.currency FROM (SELECT DISTINCT attribution_model FROM {{ this }}) m
        CROSS JOIN (SELECT currency, count(*) AS orders FROM {{ ref('int_orders') }} GROUP BY 1) o
        LEFT JOIN (SELECT attribution_model, currency, sum(orders) AS orders FROM {{ this }} GROUP BY 1, 2) r
          ON r.attribution_model = m.attribution_model AND r.currency = o.currency
        WHERE r.orders IS DISTINCT FROM o.orders`
    },
    {
      name: "each_model_credits_every_user_once",
      sql: `SELECT attribution_model, currency FROM {{ this }} GROUP BY ALL
        HAVING sum(users) <> (SELECT count(*) FROM {{ ref('int_user_journeys') }})`
    }
  ]
})
