/**
 * Orders, revenue, products, campaign attribution and the search funnel on hand-built event sets.
 *
 * Shop, D = 2026-03-02 (utm in brackets, devices: p1 desktop, p2 mobile, p3 mobile, p4 desktop):
 * - p1: 09:00 page_view [newsletter/launch]; 09:30 product_viewed A (40 CHF, category bikes);
 *   10:00 purchase o1 [google/spring] 100 CHF, 2 × A at 40; 10:01 the same order o1 again (a client
 *   double-fire: 999 CHF, 5 × A) [google/spring]; 12:00 purchase o2 [google/spring] 50 CHF, 1 × B.
 * - p2: 08:00 page_view [google/spring]; 09:40 product_viewed A (45 CHF, category bikes-2);
 *   09:45 add_to_cart A; 11:00 purchase o3 30 EUR, 1 × A.
 * - p3: D+1 09:00 purchase o4 70 CHF, 1 × C; D+1 10:00 page_view [instagram/bike_fit] (after the order).
 * - p4: 13:00 page_view; 13:05 result_viewed recommending A and C.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { DAY, day, event, HOUR, MINUTE, pageView, purchase, rows, withMarts } from "./fixtures.ts"

const D = Date.UTC(2026, 2, 2)
const at = (dayOffset: number, hour: number, minute = 0) => D + dayOffset * DAY + hour * HOUR + minute * MINUTE
const p1 = { user: "p1", device: "desktop" } as const
const p2 = { user: "p2", device: "mobile" } as const
const p3 = { user: "p3", device: "mobile" } as const
const p4 = { user: "p4", device: "desktop" } as const
const spring = { source: "google", campaign: "spring" }

const shop = [
  pageView({ ...p1, at: at(0, 9), utm: { source: "newsletter", campaign: "launch" } }),
  event(
    "product_viewed",
    { product_id: "A", category: "bikes", price: 40, currency: "CHF" },
    { ...p1, at: at(0, 9, 30) }
  ),
  purchase(
    { ...p1, at: at(0, 10), utm: spring },
    { orderId: "o1", revenue: 100, currency: "CHF", product: "A", quantity: 2, unitPrice: 40 }
  ),
  purchase(
    { ...p1, at: at(0, 10, 1), utm: spring },
    { orderId: "o1", revenue: 999, currency: "CHF", product: "A", quantity: 5, unitPrice: 199.8 }
  ),
  purchase({ ...p1, at: at(0, 12), utm: spring }, { orderId: "o2", revenue: 50, currency: "CHF", product: "B" }),
  pageView({ ...p2, at: at(0, 8), utm: spring }),
  event(
    "product_viewed",
    { product_id: "A", category: "bikes-2", price: 45, currency: "CHF" },
    { ...p2, at: at(0, 9, 40) }
  ),
  event(
    "add_to_cart",
    { cart_id: "cart-2", product_id: "A", quantity: 1, unit_price: 45, currency: "CHF" },
    { ...p2, at: at(0, 9, 45) }
  ),
  purchase({ ...p2, at: at(0, 11) }, { orderId: "o3", revenue: 30, currency: "EUR", product: "A" }),
  purchase({ ...p3, at: at(1, 9) }, { orderId: "o4", revenue: 70, currency: "CHF", product: "C" }),
  pageView({ ...p3, at: at(1, 10), utm: { source: "instagram", campaign: "bike_fit" } }),
  pageView({ ...p4, at: at(0, 13) }),
  event("result_viewed", { quiz_id: "q", result_id: "r", product_ids: ["A", "C"] }, { ...p4, at: at(0, 13, 5) })
]

describe("orders, revenue, products and attribution", () => {
  it.effect("orders once by order_id; revenue and AOV per currency by day, device and campaign", () =>
    withMarts(shop, (sql) =>
      Effect.gen(function* () {
        assert.deepStrictEqual(
          yield* rows(sql, "SELECT order_id, revenue, units, purchase_events FROM int_orders ORDER BY order_id"),
          [
            // o1's second purchase event (999 CHF) is not counted again.
            { order_id: "o1", revenue: 100, units: 2, purchase_events: 2 },
            { order_id: "o2", revenue: 50, units: 1, purchase_events: 1 },
            { order_id: "o3", revenue: 30, units: 1, purchase_events: 1 },
            { order_id: "o4", revenue: 70, units: 1, purchase_events: 1 }
          ]
        )
        assert.deepStrictEqual(yield* rows(sql, "SELECT * FROM fct_revenue ORDER BY ALL"), [
          // o1 + o2: 150 CHF over 2 orders, AOV 75, 2 + 1 units, one buyer.
          {
            order_date: day(D),
            device_type: "desktop",
            utm_campaign: "spring",
            currency: "CHF",
            orders: 2,
            revenue: 150,
            average_order_value: 75,
            units: 3,
            buyers: 1
          },
          {
            order_date: day(D),
            device_type: "mobile",
            utm_campaign: "(none)",
            currency: "EUR",
            orders: 1,
            revenue: 30,
            average_order_value: 30,
            units: 1,
            buyers: 1
          },
          {
            order_date: day(D + DAY),
            device_type: "mobile",
            utm_campaign: "(none)",
            currency: "CHF",
            orders: 1,
            revenue: 70,
            average_order_value: 70,
            units: 1,
            buyers: 1
          }
        ])
        assert.deepStrictEqual(yield* rows(sql, "SELECT * FROM dim_products ORDER BY product_id"), [
          {
            // Category and price of p2's later view; viewed twice by two users, carted once, recommended
            // once, in orders o1 (2 units) and o3 (1 unit); first seen at p1's view, last at p4's result.
            product_id: "A",
            category: "bikes-2",
            last_price: 45,
            last_price_currency: "CHF",
            first_seen_at: new Date(at(0, 9, 30)),
            last_seen_at: new Date(at(0, 13, 5)),
            views: 2,
            viewers: 2,
            add_to_carts: 1,
            recommendations: 1,
            orders: 2,
            units_sold: 3
          },
          {
            product_id: "B",
            category: null,
            last_price: null,
            last_price_currency: null,
            first_seen_at: new Date(at(0, 12)),
            last_seen_at: new Date(at(0, 12)),
            views: 0,
            viewers: 0,
            add_to_carts: 0,
            recommendations: 0,
            orders: 1,
            units_sold: 1
          },
          {
            product_id: "C",
            category: null,
            last_price: null,
            last_price_currency: null,
            first_seen_at: new Date(at(0, 13, 5)),
            last_seen_at: new Date(at(1, 9)),
            views: 0,
            viewers: 0,
            add_to_carts: 0,
            recommendations: 1,
            orders: 1,
            units_sold: 1
          }
        ])
      })
    )
  )

  it.effect("first and last touch: users, converting users, orders and revenue per currency", () =>
    withMarts(shop, (sql) =>
      Effect.gen(function* () {
        const table = yield* rows<Record<string, unknown>>(
          sql,
          "SELECT * FROM mart_campaign_attribution ORDER BY attribution_model, utm_source, utm_campaign, currency"
        )
        const row = (
          attribution_model: string,
          utm_source: string,
          utm_campaign: string,
          currency: string,
          users: number,
          converting_users: number,
          orders: number,
          revenue: number
        ) => ({ attribution_model, utm_source, utm_campaign, currency, users, converting_users, orders, revenue })
        assert.deepStrictEqual(table, [
          // First touch. Users: p1 newsletter (09:00), p2 google (08:00), p3 instagram (its only touch), p4 none.
          // Orders: o1 and o2 go to p1's first touch before them (newsletter), o3 to p2's google, o4 came
          // before p3's only touch: direct. Every touch has a row per currency the shop sold in.
          row("first_touch", "(direct)", "(direct)", "CHF", 1, 1, 1, 70),
          row("first_touch", "(direct)", "(direct)", "EUR", 1, 0, 0, 0),
          row("first_touch", "google", "spring", "CHF", 1, 0, 0, 0),
          row("first_touch", "google", "spring", "EUR", 1, 1, 1, 30),
          row("first_touch", "instagram", "bike_fit", "CHF", 1, 0, 0, 0),
          row("first_touch", "instagram", "bike_fit", "EUR", 1, 0, 0, 0),
          row("first_touch", "newsletter", "launch", "CHF", 1, 1, 2, 150),
          row("first_touch", "newsletter", "launch", "EUR", 1, 0, 0, 0),
          // Last touch. Users: p1's latest touch is o2's google (12:00), p2 google, p3 instagram, p4 none.
          // Orders: o1 to its own purchase event's google touch (10:00 ≤ 10:00), o2 and o3 google, o4 direct.
          row("last_touch", "(direct)", "(direct)", "CHF", 1, 1, 1, 70),
          row("last_touch", "(direct)", "(direct)", "EUR", 1, 0, 0, 0),
          row("last_touch", "google", "spring", "CHF", 2, 1, 2, 150),
          row("last_touch", "google", "spring", "EUR", 2, 1, 1, 30),
          row("last_touch", "instagram", "bike_fit", "CHF", 1, 0, 0, 0),
          row("last_touch", "instagram", "bike_fit", "EUR", 1, 0, 0, 0)
        ])
      })
    )
  )
})

/**
 * Search, D: q1 [desktop] searches s1 (10 results) at 10:00, clicks positions 2 and 0, books b1 naming
 * s1; searches s2 (no results) at 11:00. q2 [mobile] searches s3 (5 results) at 12:00, clicks position
 * 1, and books b2 without naming a search (counted nowhere).
 */
const search = [
  event("search_performed", { search_id: "s1", query: "gravel", results_count: 10 }, { user: "q1", at: at(0, 10) }),
  event("search_result_clicked", { search_id: "s1", product_id: "A", position: 2 }, { user: "q1", at: at(0, 10, 1) }),
  event("search_result_clicked", { search_id: "s1", product_id: "B", position: 0 }, { user: "q1", at: at(0, 10, 2) }),
  event(
    "booking_completed",
    { booking_id: "b1", product_id: "B", search_id: "s1", starts_at: "2026-03-10T10:00:00.000Z" },
    { user: "q1", at: at(0, 10, 5) }
  ),
  event("search_performed", { search_id: "s2", query: "tandem", results_count: 0 }, { user: "q1", at: at(0, 11) }),
  event(
    "search_performed",
    { search_id: "s3", query: "cargo", results_count: 5 },
    { user: "q2", device: "mobile", at: at(0, 12) }
  ),
  event(
    "search_result_clicked",
    { search_id: "s3", product_id: "C", position: 1 },
    { user: "q2", device: "mobile", at: at(0, 12, 1) }
  ),
  event(
    "booking_completed",
    { booking_id: "b2", product_id: "C", starts_at: "2026-03-11T10:00:00.000Z" },
    { user: "q2", device: "mobile", at: at(0, 12, 30) }
  )
]

describe("fct_search_funnel", () => {
  it.effect("search → click → booking per search: CTR, conversion, click-to-booking", () =>
    withMarts(search, (sql) =>
      Effect.gen(function* () {
        assert.deepStrictEqual(
          yield* rows(sql, "SELECT * EXCLUDE (search_date) FROM fct_search_funnel ORDER BY device_type"),
          [
            {
              // s1, s2, s3 by q1 and q2; s2 found nothing; s1 and s3 clicked (3 clicks); s1 booked.
              // CTR 2/3, conversion 1/3, click-to-booking 1/2; first clicks at positions 0 (s1) and 1 (s3).
              device_type: "all",
              searches: 3,
              searchers: 2,
              searches_without_results: 1,
              searches_with_click: 2,
              clicks: 3,
              searches_with_booking: 1,
              bookings: 1,
              click_through_rate: 2 / 3,
              conversion_rate: 1 / 3,
              click_to_booking_rate: 0.5,
              avg_first_click_position: 0.5
            },
            {
              device_type: "desktop",
              searches: 2,
              searchers: 1,
              searches_without_results: 1,
              searches_with_click: 1,
              clicks: 2,
              searches_with_booking: 1,
              bookings: 1,
              click_through_rate: 0.5,
              conversion_rate: 0.5,
              click_to_booking_rate: 1,
              avg_first_click_position: 0
            },
            {
              device_type: "mobile",
              searches: 1,
              searchers: 1,
              searches_without_results: 0,
              searches_with_click: 1,
              clicks: 1,
              searches_with_booking: 0,
              bookings: 0,
              click_through_rate: 1,
              conversion_rate: 0,
              click_to_booking_rate: 0,
              avg_first_click_position: 1
            }
          ]
        )
      })
    )
  )
})
