import { DeviceType } from "../../../domain/Envelope.ts"
import { PURCHASE_EVENT } from "../../../domain/Metrics.ts"
import { acceptedValues, defineModel, loadedAtColumn, notNull, unique } from "../../runner/Model.ts"

export default defineModel({
  name: "int_orders",
  layer: "intermediate",
  materialized: "incremental",
  uniqueKey: ["order_id"],
  description:
    `Orders counted once by order_id: one row per prop_order_id of the ${PURCHASE_EVENT} events, taken from the ` +
    "first such event in (occurred_at_corrected, event_id) order (a second purchase event for the same order, " +
    "with its own event_id, is a client double-fire and is not counted again; purchase_events says how many " +
    "there were). Revenue is the order total in its currency (tax and shipping included); the device and utm " +
    "are the purchase event's context." +
    " Incremental, delete+insert of the orders whose purchase events changed since its last build.",
  columns: {
    order_id: { description: "the order", tests: [unique(), notNull()] },
    event_id: { description: "the purchase event the order is taken from", tests: [unique(), notNull()] },
    user_id: { description: "the resolved user who ordered", tests: [notNull()] },
    ordered_at: { description: "occurred_at_corrected of the purchase", tests: [notNull()] },
    order_date: { description: "UTC date of ordered_at", tests: [notNull()] },
    revenue: { description: "order total including tax and shipping, in currency", tests: [notNull()] },
    currency: { description: "ISO 4217 code of revenue", tests: [notNull()] },
    items: { description: "order lines (product_id, quantity, unit_price)" },
    units: { description: "sum of the lines' quantities" },
    coupon: { description: "coupon code applied" },
    device_type: { description: "device of the purchase event", tests: [acceptedValues(DeviceType.literals)] },
    utm_source: { description: "utm_source of the purchase event's context" },
    utm_medium: { description: "utm_medium of the purchase event's context" },
    utm_campaign: { description: "utm_campaign of the purchase event's context" },
    purchase_events: { description: "purchase events carrying this order_id (1 unless the client fired twice)" },
    _loaded_at: loadedAtColumn
  },
  tests: [
    {
      name: "revenue_not_negative",
      sql: "SELECT * FROM {{ this }} WHERE revenue < 0 OR units < 1"
    }
  ],
  vars: { purchase_event: PURCHASE_EVENT }
})
