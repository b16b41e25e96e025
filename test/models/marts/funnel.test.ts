/**
 * fct_funnel and the funnel query builder on a hand-built event set, every count and median worked out
 * by hand; then the builder against the mart on generated event sets (the two implementations of one
 * definition must agree).
 *
 * Commerce funnel: product_viewed (PV) → add_to_cart (ATC) → checkout_started (CO) → purchase (P);
 * 14-day window. t0 = 2026-03-02 10:00 UTC.
 * - u1 [desktop, google]: PV t0, ATC +1 min, CO +2 min, P +5 min.
 * - u2 [mobile]: PV t0, page_view +1 min, ATC +2 min, CO +3 min.
 * - u3 [mobile]: ATC t0, PV +1 min.
 * - u4 [desktop]: PV t0, ATC +20 days (outside the window).
 * - u5 [tablet, newsletter]: PV t0, PV +10 d, ATC +20 d, CO +20 d 1 min, P +20 d 2 min.
 * - u6 [desktop]: quiz_started t0, quiz_step_viewed +1 min, quiz_completed +5 min (configurator funnel).
 */
import { assert, describe, it } from "@effect/vitest"
import { Arbitrary, Effect, Schema } from "effect"
import type { EnrichedEvent, EventType } from "../../../src/domain/Catalog.ts"
import {
  COMMERCE_FUNNEL,
  CONFIGURATOR_FUNNEL,
  type FunnelBreakdown,
  type FunnelMode,
  MART_FUNNELS
} from "../../../src/domain/Funnels.ts"
import { type FunnelStepRow, funnelStatement, runFunnel } from "../../../src/models/query/FunnelQuery.ts"
import { DAY, event, MINUTE, pageView, purchase, rows, withMarts } from "./fixtures.ts"

const t0 = Date.UTC(2026, 2, 2, 10)
const viewed = (envelope: Parameters<typeof pageView>[0]) =>
  event("product_viewed", { product_id: "bike", price: 900, currency: "CHF" }, envelope)
const carted = (envelope: Parameters<typeof pageView>[0]) =>
  event("add_to_cart", { cart_id: "c", product_id: "bike", quantity: 1, unit_price: 900, currency: "CHF" }, envelope)
const checkedOut = (envelope: Parameters<typeof pageView>[0]) =>
  event("checkout_started", { cart_id: "c", subtotal: 900, currency: "CHF", item_count: 1 }, envelope)

const u1 = { user: "u1", device: "desktop", utm: { source: "google" } } as const
const u2 = { user: "u2", device: "mobile" } as const
const u3 = { user: "u3", device: "mobile" } as const
const u4 = { user: "u4", device: "desktop" } as const
const u5 = { user: "u5", device: "tablet", utm: { source: "newsletter" } } as const
const u6 = { user: "u6", device: "desktop" } as const
const quiz = { quiz_id: "bike-fit" }

const events = [
  viewed({ ...u1, at: t0 }),
  carted({ ...u1, at: t0 + MINUTE }),
  checkedOut({ ...u1, at: t0 + 2 * MINUTE }),
  purchase({ ...u1, at: t0 + 5 * MINUTE }, { orderId: "o1", revenue: 949, currency: "CHF" }),
  viewed({ ...u2, at: t0 }),
  pageView({ ...u2, at: t0 + MINUTE }),
  carted({ ...u2, at: t0 + 2 * MINUTE }),
  checkedOut({ ...u2, at: t0 + 3 * MINUTE }),
  carted({ ...u3, at: t0 }),
  viewed({ ...u3, at: t0 + MINUTE }),
  viewed({ ...u4, at: t0 }),
  carted({ ...u4, at: t0 + 20 * DAY }),
  viewed({ ...u5, at: t0 }),
  viewed({ ...u5, at: t0 + 10 * DAY }),
  carted({ ...u5, at: t0 + 20 * DAY }),
  checkedOut({ ...u5, at: t0 + 20 * DAY + MINUTE }),
  purchase({ ...u5, at: t0 + 20 * DAY + 2 * MINUTE }, { orderId: "o5", revenue: 949, currency: "CHF" }),
  event("quiz_started", quiz, { ...u6, at: t0 }),
  event("quiz_step_viewed", { ...quiz, step_id: "style", step_index: 0, step_count: 5 }, { ...u6, at: t0 + MINUTE }),
  event("quiz_completed", { ...quiz, result_id: "r", step_count: 5, duration_ms: 1 }, { ...u6, at: t0 + 5 * MINUTE })
]

const COMMERCE_STEPS = COMMERCE_FUNNEL.map((s) => s.eventType)

/** users per step of one funnel, mode and breakdown value. */
const usersOf = (
  sql: Parameters<Parameters<typeof withMarts>[1]>[0],
  funnel: string,
  mode: string,
  breakdown: string
) =>
  Effect.map(
    rows<{ breakdown_value: string; users: number }>(
      sql,
      `SELECT breakdown_value, users FROM fct_funnel
      WHERE funnel = '${funnel}' AND mode = '${mode}' AND breakdown = '${breakdown}'
      ORDER BY breakdown_value, step_index`
    ),
    (found) => {
      const grouped: Record<string, Array<number>> = {}
      for (const r of found) grouped[r.breakdown_value] = [...(grouped[r.breakdown_value] ?? []), r.users]
      return grouped
    }
  )

describe("fct_funnel", () => {
  it.effect("ordered, strict and unordered funnels with a 14-day window, by device and utm_source", () =>
    withMarts(events, (sql) =>
      Effect.gen(function* () {
        const ordered = yield* rows(
          sql,
          `SELECT step_index, step_event_type, users, conversion_from_previous, conversion_from_first, drop_off_users,
            median_seconds_from_previous, median_seconds_from_first
          FROM fct_funnel WHERE funnel = 'commerce' AND mode = 'ordered' AND breakdown = 'none' ORDER BY step_index`
        )
        assert.deepStrictEqual(ordered, [
          // Everyone viewed a product (u3 after carting, which counts as an entry at its PV).
          {
            step_index: 1,
            step_event_type: "product_viewed",
            users: 5,
            conversion_from_previous: null,
            conversion_from_first: 1,
            drop_off_users: null,
            median_seconds_from_previous: null,
            median_seconds_from_first: 0
          },
          // u1, u2, and u5 from its second view (10 d before its cart, inside 14 d); u3 carted before viewing,
          // u4 carted after 20 d. Times from the previous step: 60, 120, 864000 s: median 120.
          {
            step_index: 2,
            step_event_type: "add_to_cart",
            users: 3,
            conversion_from_previous: 3 / 5,
            conversion_from_first: 3 / 5,
            drop_off_users: 2,
            median_seconds_from_previous: 120,
            median_seconds_from_first: 120
          },
          // u1, u2, u5, each 60 s after carting; from the view: 120, 180, 864060: median 180.
          {
            step_index: 3,
            step_event_type: "checkout_started",
            users: 3,
            conversion_from_previous: 1,
            conversion_from_first: 3 / 5,
            drop_off_users: 0,
            median_seconds_from_previous: 60,
            median_seconds_from_first: 180
          },
          // u1 (180 s after checkout, 300 s after viewing) and u5 (60 s, 864120 s): medians 120 and 432210.
          {
            step_index: 4,
            step_event_type: "purchase",
            users: 2,
            conversion_from_previous: 2 / 3,
            conversion_from_first: 2 / 5,
            drop_off_users: 1,
            median_seconds_from_previous: 120,
            median_seconds_from_first: 432_210
          }
        ])
        // Strict: u2's page_view sits between view and cart; u4's cart is its very next event but too late.
        assert.deepStrictEqual(yield* usersOf(sql, "commerce", "strict", "none"), { "(all)": [5, 2, 2, 2] })
        // Any order: u3 did two steps (cart, then view).
        assert.deepStrictEqual(yield* usersOf(sql, "commerce", "unordered", "none"), { "(all)": [5, 4, 3, 2] })
        // The first event's device: desktop u1, u4; mobile u2, u3; tablet u5.
        assert.deepStrictEqual(yield* usersOf(sql, "commerce", "ordered", "device_type"), {
          desktop: [2, 1, 1, 1],
          mobile: [2, 1, 1, 0],
          tablet: [1, 1, 1, 1]
        })
        assert.deepStrictEqual(yield* usersOf(sql, "commerce", "ordered", "utm_source"), {
          "(none)": [3, 1, 1, 0],
          google: [1, 1, 1, 1],
          newsletter: [1, 1, 1, 1]
        })
        assert.deepStrictEqual(
          yield* rows(
            sql,
            `SELECT step_index, step_event_type, median_seconds_from_previous AS prev, median_seconds_from_first AS first
            FROM fct_funnel WHERE funnel = 'commerce' AND mode = 'strict' AND breakdown = 'none' ORDER BY step_index`
          ),
          [
            { step_index: 1, step_event_type: "product_viewed", prev: null, first: 0 },
            // u1 60 s, u5 864000 s: median 432030.
            { step_index: 2, step_event_type: "add_to_cart", prev: 432_030, first: 432_030 },
            // 60 and 60; from the view 120 and 864060: 432090.
            { step_index: 3, step_event_type: "checkout_started", prev: 60, first: 432_090 },
            { step_index: 4, step_event_type: "purchase", prev: 120, first: 432_210 }
          ]
        )
        assert.deepStrictEqual(
          yield* rows(
            sql,
            `SELECT step_index, step_event_type, median_seconds_from_previous AS prev, median_seconds_from_first AS first
            FROM fct_funnel WHERE funnel = 'commerce' AND mode = 'unordered' AND breakdown = 'none' ORDER BY step_index`
          ),
          [
            { step_index: 1, step_event_type: null, prev: null, first: 0 },
            // Second step done: u1 60, u2 120, u3 60 (view after cart), u5 864000: median (60 + 120) / 2 = 90.
            { step_index: 2, step_event_type: null, prev: 90, first: 90 },
            { step_index: 3, step_event_type: null, prev: 60, first: 180 },
            { step_index: 4, step_event_type: null, prev: 120, first: 432_210 }
          ]
        )
        // Configurator: u6 started, saw a step, completed, never saw the result.
        assert.deepStrictEqual(
          yield* rows(
            sql,
            `SELECT step_index, users, conversion_from_previous, drop_off_users
            FROM fct_funnel WHERE funnel = 'configurator' AND mode = 'ordered' AND breakdown = 'none' ORDER BY step_index`
          ),
          [
            { step_index: 1, users: 1, conversion_from_previous: null, drop_off_users: null },
            { step_index: 2, users: 1, conversion_from_previous: 1, drop_off_users: 0 },
            { step_index: 3, users: 1, conversion_from_previous: 1, drop_off_users: 0 },
            { step_index: 4, users: 0, conversion_from_previous: 0, drop_off_users: 1 },
            { step_index: 5, users: 0, conversion_from_previous: null, drop_off_users: 0 }
          ]
        )
      })
    )
  )
})

const builderUsers = (steps: ReadonlyArray<EventType>, options: Partial<Parameters<typeof runFunnel>[0]> = {}) =>
  Effect.map(runFunnel({ steps, ...options }), (found) => found.map((r) => r.users))

describe("funnel query builder", () => {
  it.effect(
    "any ordered list of catalog event types, with the mart's modes, window, breakdowns and an entry range",
    () =>
      withMarts(events, (sql) =>
        Effect.gen(function* () {
          // The mart's funnel, every mode and breakdown: the same rows as fct_funnel.
          for (const mode of ["ordered", "strict", "unordered"] as const) {
            for (const breakdown of ["none", "device_type", "utm_source"] as const) {
              const mart = yield* rows<FunnelStepRow>(
                sql,
                `SELECT * EXCLUDE (funnel, mode, breakdown) FROM fct_funnel
              WHERE funnel = 'commerce' AND mode = '${mode}' AND breakdown = '${breakdown}'
              ORDER BY breakdown_value, step_index`
              )
              assert.deepStrictEqual(
                yield* runFunnel({ steps: COMMERCE_STEPS, mode, breakdown }),
                mart,
                `${mode} ${breakdown}`
              )
            }
          }
          // u2's page_view is followed by its cart.
          assert.deepStrictEqual(yield* builderUsers(["page_view", "add_to_cart"]), [1, 1])
          // A repeated step needs a second, later event: only u5 viewed twice (10 days apart).
          assert.deepStrictEqual(yield* builderUsers(["product_viewed", "product_viewed"]), [5, 1])
          // A one-day window: u5's cart came 10 days after its view.
          assert.deepStrictEqual(yield* builderUsers(COMMERCE_STEPS, { windowMs: DAY }), [5, 2, 2, 1])
          // Entries from t0 + 5 d on: only u5's second view.
          assert.deepStrictEqual(yield* builderUsers(COMMERCE_STEPS, { from: new Date(t0 + 5 * DAY) }), [1, 1, 1, 1])
          // Entries in [t0 + 30 s, t0 + 11 d): u3's view (t0 + 1 min, nothing after it) and u5's second view.
          assert.deepStrictEqual(
            yield* builderUsers(COMMERCE_STEPS, { from: new Date(t0 + 30_000), to: new Date(t0 + 11 * DAY) }),
            [2, 1, 1, 1]
          )
          const repeated = yield* Effect.flip(funnelStatement({ steps: ["page_view", "page_view"], mode: "unordered" }))
          assert.deepStrictEqual([repeated._tag, repeated.parameter], ["FunnelQueryError", "steps"])
          const inverted = yield* Effect.flip(
            funnelStatement({ steps: COMMERCE_STEPS, from: new Date(t0), to: new Date(t0) })
          )
          assert.deepStrictEqual([inverted._tag, inverted.parameter], ["FunnelQueryError", "to"])
        })
      )
  )

  const int = (minimum: number, maximum: number) => Schema.Int.check(Schema.isBetween({ minimum, maximum }))
  const FUNNEL_TYPES = [
    ...new Set<EventType>([...COMMERCE_STEPS, ...CONFIGURATOR_FUNNEL.map((s) => s.eventType), "page_view"])
  ]
  const Spec = Schema.Struct({
    user: int(0, 3),
    type: int(0, FUNNEL_TYPES.length - 1),
    hour: int(0, 24 * 20),
    device: Schema.Literals(["desktop", "mobile"]),
    utm: Schema.Boolean
  })

  /** A focused event: the funnels' step types plus page_view, four users, twenty days, two devices. */
  const toEvent = (spec: typeof Spec.Type, i: number): EnrichedEvent => {
    const envelope = {
      user: `g${spec.user}`,
      at: t0 + spec.hour * 3_600_000 + i,
      device: spec.device,
      ...(spec.utm ? { utm: { source: "google" } } : {})
    }
    switch (FUNNEL_TYPES[spec.type]) {
      case "product_viewed":
        return viewed(envelope)
      case "add_to_cart":
        return carted(envelope)
      case "checkout_started":
        return checkedOut(envelope)
      case "purchase":
        return purchase(envelope, { orderId: `o${i}`, revenue: 10, currency: "CHF" })
      case "quiz_started":
        return event("quiz_started", quiz, envelope)
      case "quiz_step_viewed":
        return event("quiz_step_viewed", { ...quiz, step_id: "s", step_index: 0, step_count: 3 }, envelope)
      case "quiz_completed":
        return event("quiz_completed", { ...quiz, result_id: "r", step_count: 3, duration_ms: 1 }, envelope)
      case "result_viewed":
        return event("result_viewed", { ...quiz, result_id: "r", product_ids: ["bike"] }, envelope)
      default:
        return pageView(envelope)
    }
  }

  it.effect.prop(
    "agrees with fct_funnel on generated events for both mart funnels, every mode and breakdown",
    { specs: Arbitrary.array(Arbitrary.schema(Spec), { minLength: 1, maxLength: 40 }) },
    ({ specs }) =>
      withMarts(specs.map(toEvent), (sql) =>
        Effect.gen(function* () {
          for (const funnel of MART_FUNNELS) {
            for (const mode of ["ordered", "strict", "unordered"] satisfies ReadonlyArray<FunnelMode>) {
              for (const breakdown of ["none", "device_type", "utm_source"] satisfies ReadonlyArray<FunnelBreakdown>) {
                const mart = yield* rows<FunnelStepRow>(
                  sql,
                  `SELECT * EXCLUDE (funnel, mode, breakdown) FROM fct_funnel
                  WHERE funnel = '${funnel.funnel}' AND mode = '${mode}' AND breakdown = '${breakdown}'
                  ORDER BY breakdown_value, step_index`
                )
                const built = yield* runFunnel({ steps: funnel.steps.map((s) => s.eventType), mode, breakdown })
                assert.deepStrictEqual(built, mart, `${funnel.funnel} ${mode} ${breakdown}`)
              }
            }
          }
        })
      ),
    { arbitrary: { runs: 4 } }
  )
})
