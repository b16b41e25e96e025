/** A valid event of every shape the rejection tests mutate, so each test changes exactly one thing. */
import type { JsonValue } from "../../src/domain/Primitives.ts"
import type { EventOf } from "../../src/domain/SdkTypes.ts"

export const validPurchase: EventOf<"purchase"> = {
  event_id: "3b241101-e2bb-4255-8caf-4136c566a962",
  event_type: "purchase",
  schema_version: 1,
  user_id: "user-1",
  session_id: "session-1",
  occurred_at: "2026-11-22T10:00:00.000+02:00",
  sent_at: "2026-11-22T10:00:05.000+02:00",
  context: { device_type: "desktop", page_path: "/checkout", screen_width: 1440 },
  experiments: { new_configurator: "treatment" },
  properties: {
    order_id: "order-1",
    revenue: 59.9,
    currency: "EUR",
    items: [
      { product_id: "p-1", quantity: 1, unit_price: 19.9 },
      { product_id: "p-2", quantity: 2, unit_price: 20 },
      { product_id: "p-3", quantity: 1, unit_price: 0 }
    ]
  }
}

export const validIdentify: EventOf<"identify"> = {
  event_id: "9f3c2a7e-8d41-4c1b-a0e2-5b6d7c8e9f01",
  event_type: "identify",
  schema_version: 1,
  user_id: "user-1",
  anonymous_id: "anon-1",
  session_id: "session-1",
  occurred_at: "2026-11-22T08:00:00Z",
  context: { device_type: "mobile" },
  properties: { traits: { plan: "pro", company: { name: "Acme", size: 42, tags: ["b2b"] } } }
}

/** A nested object `depth` levels deep, counting the map itself as level 1. */
export const nestedMap = (depth: number): { readonly [key: string]: JsonValue } => {
  let value: JsonValue = "leaf"
  for (let level = depth; level > 1; level--) value = { [`level${level}`]: value }
  return { level1: value }
}
