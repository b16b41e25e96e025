import { DeviceType } from "../../../domain/Envelope.ts"
import { acceptedValues, defineModel, notNull } from "../../runner/Model.ts"

export default defineModel({
  name: "fct_revenue",
  layer: "marts",
  materialized: "table",
  description:
    "Revenue per UTC order day, device, campaign and currency, from int_orders (orders counted once by order_id: " +
    "the first purchase event of each order). Device and campaign are the purchase event's (context_device_type, " +
    "context_utm_campaign; '(none)' without a campaign). Revenue = sum of the order totals (tax and shipping " +
    "included) in that currency, never summed across currencies; AOV = revenue / orders. Orders, revenue and units " +
    "add up across rows of one currency; buyers (distinct resolved users) do not.",
  columns: {
    order_date: { description: "UTC date of the order", tests: [notNull()] },
    device_type: {
      description: "device of the purchase event",
      tests: [notNull(), acceptedValues(DeviceType.literals)]
    },
    utm_campaign: { description: "utm_campaign of the purchase event, '(none)' without one", tests: [notNull()] },
    currency: { description: "ISO 4217 code of the orders", tests: [notNull()] },
    orders: { description: "distinct orders", tests: [notNull()] },
    revenue: { description: "sum of the order totals", tests: [notNull()] },
    average_order_value: { description: "revenue / orders" },
    units: { description: "units ordered (sum of line quantities)" },
    buyers: { description: "distinct resolved users who ordered" }
  },
  tests: [
    {
      name: "one_row_per_cell",
      sql: "SELECT order_date, device_type, utm_campaign, currency FROM {{ this }} GROUP BY ALL HAVING count(*) > 1"
    },
    {
      name: "adds_up_to_the_orders",
      description: "every order of int_orders is counted once, with its revenue",
      sql: `SELECT o.currency, o.orders, o.revenue, r.orders AS mart_orders, r.revenue AS mart_revenue
        FROM (SELECT currency, count(*) AS orders, sum(revenue) AS revenue FROM {{ ref('int_orders') }} GROUP BY 1) o
        FULL JOIN (SELECT currency, sum(orders) AS orders, sum(revenue) AS revenue FROM {{ this }} GROUP BY 1) r
          USING (currency)
        WHERE o.orders IS DISTINCT FROM r.orders OR abs(o.revenue - r.revenue) > 1e-6 * greatest(1, abs(o.revenue))`
    }
  ]
})
