/**
 * Synthetic user journeys through the product: a landing page, the configurator quiz (with an A/B test
 * on its second version), the result page, and the shop. Pure and seeded, so a seed always produces the
 * same events; every event is typed from the catalog (`EventOf<T>`), so a schema change breaks the
 * simulator at compile time instead of producing dead letters at run time.
 */

import type { EventContext, EventOf, EventType, PropertiesOf } from "../domain/SdkTypes.ts"
import { formatTimestamp } from "../domain/Timestamp.ts"

/** A small, fast, seedable PRNG (mulberry32); Math.random would make journeys unrepeatable. */
export const makeRandom = (seed: number) => {
  let state = seed >>> 0
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
  const int = (min: number, max: number): number => min + Math.floor(next() * (max - min + 1))
  const pick = <A>(items: ReadonlyArray<A>, fallback: A): A => items[Math.floor(next() * items.length)] ?? fallback
  const chance = (p: number): boolean => next() < p
  /** RFC 4122 version-4 layout from the seeded stream, so event ids are unique yet repeatable. */
  const uuid = (): string => {
    const hex = Array.from({ length: 32 }, () => Math.floor(next() * 16).toString(16))
    hex[12] = "4"
    hex[16] = ((Number.parseInt(hex[16] ?? "0", 16) & 0x3) | 0x8).toString(16)
    const h = hex.join("")
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
  }
  return { next, int, pick, chance, uuid }
}
export type Random = ReturnType<typeof makeRandom>

/** One event with the (simulated) instant it happens; the driver sends it when that instant comes. */
export interface TimedEvent {
  readonly atMs: number
  readonly event: EventOf<EventType>
}

export const EXPERIMENT_KEY = "configurator_v2"
export const QUIZ_ID = "bike-fit"
const STEPS = ["riding_style", "terrain", "budget", "frame_size", "extras"] as const
const PRODUCTS = ["gravel-pro", "city-comfort", "trail-x", "road-aero", "cargo-family", "e-commuter"] as const
const CAMPAIGNS = [
  { utm_source: "google", utm_medium: "cpc", utm_campaign: "spring_sale" },
  { utm_source: "newsletter", utm_medium: "email", utm_campaign: "configurator_launch" },
  { utm_source: "instagram", utm_medium: "social", utm_campaign: "bike_fit" }
] as const

/**
 * The launch under measurement: the treatment variant (a shorter, clearer quiz) completes more often
 * and converts a little better, so the dashboards have a real effect to find.
 */
const completionRate = { control: 0.55, treatment: 0.72 } as const
const purchaseRate = { control: 0.18, treatment: 0.22 } as const

const deviceContext = (random: Random): EventContext => {
  const device_type = random.pick(["desktop", "mobile", "tablet"] as const, "desktop")
  const campaign = random.chance(0.5) ? random.pick(CAMPAIGNS, CAMPAIGNS[0]) : undefined
  return {
    device_type,
    locale: random.pick(["en-US", "de-CH", "fr-FR", "en-GB"], "en-US"),
    timezone: "Europe/Zurich",
    app_version: "1.4.0",
    screen_width: device_type === "mobile" ? 390 : device_type === "tablet" ? 820 : 1440,
    screen_height: device_type === "mobile" ? 844 : device_type === "tablet" ? 1180 : 900,
    ...(campaign ?? {})
  }
}

/**
 * One visit of one user starting at `startMs`: a journey through the configurator and, sometimes, the
 * shop. Event times are spaced like a person clicking (seconds apart).
 */
export const journey = (random: Random, userNumber: number, startMs: number): ReadonlyArray<TimedEvent> => {
  const user_id = `user-${userNumber}`
  const session_id = random.uuid()
  const context = deviceContext(random)
  const variant = userNumber % 2 === 0 ? "control" : "treatment"
  const experiments = { [EXPERIMENT_KEY]: variant }
  const events: Array<TimedEvent> = []
  let now = startMs

  const emit = <T extends EventType>(eventType: T, properties: PropertiesOf<T>, page: string): void => {
    now += random.int(800, 9_000)
    // TypeScript cannot see that a generic `T` with `PropertiesOf<T>` forms an `EventOf<T>` (the union
    // does not distribute over a type parameter); the call sites are checked, and a test decodes every
    // simulated event with the domain schema.
    const event = {
      event_id: random.uuid(),
      event_type: eventType,
      schema_version: 1,
      user_id,
      session_id,
      occurred_at: formatTimestamp(now),
      context: { ...context, page_path: page, page_url: `https://shop.example.com${page}` },
      experiments,
      properties
    } as EventOf<T>
    events.push({ atMs: now, event })
  }

  emit("page_view", { title: "Find your bike" }, "/")
  emit("experiment_exposure", { experiment_key: EXPERIMENT_KEY, variant }, "/configurator")
  if (!random.chance(0.8)) return events

  const quizStart = now
  emit("quiz_started", { quiz_id: QUIZ_ID, entry_point: "home_hero" }, "/configurator")
  const steps = variant === "treatment" ? STEPS.slice(0, 4) : STEPS
  const completes = random.chance(completionRate[variant])
  const stopAt = completes ? steps.length : random.int(0, steps.length - 1)
  for (const [step_index, step_id] of steps.entries()) {
    emit("quiz_step_viewed", { quiz_id: QUIZ_ID, step_id, step_index, step_count: steps.length }, "/configurator")
    if (step_index === stopAt) {
      emit("quiz_abandoned", { quiz_id: QUIZ_ID, step_id, step_index, duration_ms: now - quizStart }, "/configurator")
      return events
    }
    const stepStart = now
    if (step_id === "budget") {
      emit(
        "slider_adjusted",
        { quiz_id: QUIZ_ID, step_id, slider_id: "budget", value: random.int(500, 6_000), min: 300, max: 8_000 },
        "/configurator"
      )
    } else {
      emit(
        "option_selected",
        { quiz_id: QUIZ_ID, step_id, option_id: `${step_id}-${random.int(1, 4)}`, selected: true },
        "/configurator"
      )
    }
    emit(
      "quiz_step_completed",
      { quiz_id: QUIZ_ID, step_id, step_index, duration_ms: now - stepStart },
      "/configurator"
    )
  }

  const result_id = `result-${random.int(1, 40)}`
  const recommended = [random.pick(PRODUCTS, "gravel-pro"), random.pick(PRODUCTS, "city-comfort")]
  emit(
    "quiz_completed",
    { quiz_id: QUIZ_ID, result_id, step_count: steps.length, duration_ms: now - quizStart },
    "/configurator"
  )
  emit("result_viewed", { quiz_id: QUIZ_ID, result_id, product_ids: recommended }, "/configurator/result")
  if (random.chance(0.1)) {
    emit("result_shared", { quiz_id: QUIZ_ID, result_id, channel: "link" }, "/configurator/result")
  }
  if (!random.chance(0.6)) return events

  const product_id = recommended[0] ?? "gravel-pro"
  const price = random.int(900, 4_500)
  emit("recommendation_clicked", { quiz_id: QUIZ_ID, result_id, product_id, position: 0 }, "/configurator/result")
  emit("product_viewed", { product_id, category: "bikes", price, currency: "CHF" }, `/products/${product_id}`)
  if (!random.chance(0.5)) return events

  const cart_id = random.uuid()
  emit("add_to_cart", { cart_id, product_id, quantity: 1, unit_price: price, currency: "CHF" }, "/cart")
  emit("checkout_started", { cart_id, subtotal: price, currency: "CHF", item_count: 1 }, "/checkout")
  if (random.chance(purchaseRate[variant] / 0.3)) {
    emit(
      "purchase",
      {
        order_id: `order-${random.uuid()}`,
        revenue: price + 49,
        currency: "CHF",
        items: [{ product_id, quantity: 1, unit_price: price }]
      },
      "/checkout/done"
    )
  }
  return events
}
