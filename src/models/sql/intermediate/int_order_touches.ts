import { defineModel, loadedAtColumn, notNull, relationships, unique } from "../../runner/Model.ts"

export default defineModel({
  name: "int_order_touches",
  layer: "intermediate",
  materialized: "incremental",
  uniqueKey: ["user_id"],
  description:
    "One row per order (int_orders) with the first and the last touch of its user at or before the order, a touch " +
    "being an event whose context carries a utm_source (its utm_campaign, '(none)' when absent); NULL when the " +
    "user had no touch by then (direct). Incremental, delete+insert of the orders of the users whose events " +
    "changed since its last build.",
  columns: {
    order_id: { description: "the order", tests: [unique(), notNull(), relationships("int_orders", "order_id")] },
    user_id: { description: "the resolved user who ordered (int_orders.user_id)", tests: [notNull()] },
    first_touch_utm_source: { description: "utm_source of the user's first touch at or before the order" },
    first_touch_utm_campaign: { description: "utm_campaign of that touch" },
    last_touch_utm_source: { description: "utm_source of the user's last touch at or before the order" },
    last_touch_utm_campaign: { description: "utm_campaign of that touch" },
    _loaded_at: loadedAtColumn
  }
})
