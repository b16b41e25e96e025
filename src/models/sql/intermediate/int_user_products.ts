import { defineModel, loadedAtColumn, notNull } from "../../runner/Model.ts"

const key = "its (occurred_at_corrected, event_id), which orders the users' values"

export default defineModel({
  name: "int_user_products",
  layer: "intermediate",
  materialized: "incremental",
  uniqueKey: ["user_id"],
  description:
    "One row per resolved user and product their events mention (prop_product_id of any event, the recommended " +
    "prop_product_ids of result_viewed): first and last mention, product_viewed / add_to_cart events, " +
    "recommendations, and the category and price of the user's latest product_viewed that had each, with the " +
    "event's order key: dim_products adds these up. Incremental, delete+insert of the users whose events changed " +
    "since its last build.",
  columns: {
    user_id: { description: "the resolved user", tests: [notNull()] },
    product_id: { description: "the product", tests: [notNull()] },
    first_seen_at: { description: "first event of the user mentioning the product" },
    last_seen_at: { description: "last event of the user mentioning the product" },
    views: { description: "product_viewed events of the user for the product" },
    add_to_carts: { description: "add_to_cart events" },
    recommendations: { description: "result_viewed events listing the product" },
    category: { description: "prop_category of the user's latest product_viewed that had one" },
    category_key: { description: key },
    last_price: { description: "prop_price of the user's latest product_viewed that had one" },
    last_price_key: { description: key },
    last_price_currency: { description: "prop_currency of the user's latest product_viewed that had one" },
    last_price_currency_key: { description: key },
    _loaded_at: loadedAtColumn
  },
  tests: [
    {
      name: "one_row_per_user_and_product",
      sql: "SELECT user_id, product_id FROM {{ this }} GROUP BY ALL HAVING count(*) > 1"
    }
  ]
})
