import { defineModel, notNull, unique } from "../../runner/Model.ts"

export default defineModel({
  name: "dim_products",
  layer: "marts",
  materialized: "table",
  description:
    "One row per product_id the events mention (prop_product_id of any event, the recommended prop_product_ids " +
    "of result_viewed, the lines of orders): the category and price of its latest product_viewed, when it was " +
    "first and last mentioned, product_viewed events and viewers (resolved users), add_to_cart events, " +
    "recommendations (result_viewed lists it), and from int_orders (orders counted once by order_id) the orders " +
    "containing it and units sold. Summed from int_user_products and int_orders.",
  columns: {
    product_id: { description: "the product", tests: [unique(), notNull()] },
    category: { description: "prop_category of the latest product_viewed that had one" },
    last_price: { description: "displayed unit price of the latest product_viewed" },
    last_price_currency: { description: "currency of last_price" },
    first_seen_at: { description: "first event or order mentioning the product", tests: [notNull()] },
    last_seen_at: { description: "last event or order mentioning the product", tests: [notNull()] },
    views: { description: "product_viewed events", tests: [notNull()] },
    viewers: { description: "distinct resolved users with a product_viewed" },
    add_to_carts: { description: "add_to_cart events" },
    recommendations: { description: "result_viewed events listing the product" },
    orders: { description: "distinct orders with a line for the product" },
    units_sold: { description: "sum of the quantities of those lines" }
  },
  tests: [
    {
      name: "units_cover_orders",
      sql: "SELECT * FROM {{ this }} WHERE units_sold < orders OR viewers > views"
    }
  ]
})
