/**
 * The funnels Launchpad measures, each an ordered list of steps and the event type that marks each,
 * and the funnel rules. The live KPIs count the configurator funnel's steps per minute
 * (KpiMeasures.ts); the SQL funnel marts (`fct_funnel`, `fct_search_funnel`, through model vars) and the
 * funnel query builder of the API walk the same steps with the same rules.
 */
import type { EventType } from "./Catalog.ts"

export interface FunnelStep {
  /** The step's name in reports (`started`, …). */
  readonly step: string
  readonly eventType: EventType
}

/** The configurator: opened, a step shown, finished, the result seen, then a purchase. */
export const CONFIGURATOR_FUNNEL = [
  { step: "started", eventType: "quiz_started" },
  { step: "step_viewed", eventType: "quiz_step_viewed" },
  { step: "completed", eventType: "quiz_completed" },
  { step: "result_viewed", eventType: "result_viewed" },
  { step: "purchased", eventType: "purchase" }
] as const satisfies ReadonlyArray<FunnelStep>

/** The shop: product page, cart, checkout, order. */
export const COMMERCE_FUNNEL = [
  { step: "product_viewed", eventType: "product_viewed" },
  { step: "added_to_cart", eventType: "add_to_cart" },
  { step: "checkout_started", eventType: "checkout_started" },
  { step: "purchased", eventType: "purchase" }
] as const satisfies ReadonlyArray<FunnelStep>

export interface NamedFunnel {
  readonly funnel: string
  readonly steps: ReadonlyArray<FunnelStep>
}

/** The funnels `fct_funnel` computes in every mode and breakdown. */
export const MART_FUNNELS: ReadonlyArray<NamedFunnel> = [
  { funnel: "configurator", steps: CONFIGURATOR_FUNNEL },
  { funnel: "commerce", steps: COMMERCE_FUNNEL }
]

/** A funnel as a model var: `{funnel, steps: [event types]}`. */
export const funnelVar = (definition: NamedFunnel) => ({
  funnel: definition.funnel,
  steps: definition.steps.map((s) => s.eventType)
})

/** Search: a search, a click on one of its results, a booking that names the search. */
export const SEARCH_EVENTS = {
  search: "search_performed",
  click: "search_result_clicked",
  booking: "booking_completed"
} as const satisfies Readonly<Record<string, EventType>>

/**
 * PostHog's three step orders: `ordered` (steps in order, other events may come between; PostHog's
 * default "sequential"), `strict` (each step is the user's very next event after the previous step) and
 * `unordered` (any order: step k counts users who did k of the steps).
 */
export const FUNNEL_MODES = ["ordered", "strict", "unordered"] as const
export type FunnelMode = (typeof FUNNEL_MODES)[number]
export const DEFAULT_FUNNEL_MODE: FunnelMode = "ordered"

/** Every later step must happen within this time of the first step (PostHog's default: 14 days). */
export const FUNNEL_WINDOW_MS = 14 * 86_400_000

/** The longest window a funnel query may ask for (PostHog's interval units top out at 90 days). */
export const MAX_FUNNEL_WINDOW_MS = 90 * 86_400_000

/** Funnels of 2 to this many steps (PostHog allows 20; more is not a funnel anyone can read). */
export const MAX_FUNNEL_STEPS = 20

/**
 * How a funnel may be split: not at all, or by the device or the utm_source of the event that entered
 * the funnel (its first step: PostHog's "first touch" breakdown attribution).
 */
export const FUNNEL_BREAKDOWNS = ["none", "device_type", "utm_source"] as const
export type FunnelBreakdown = (typeof FUNNEL_BREAKDOWNS)[number]

/** The breakdown value of the `none` breakdown, and of a missing utm_source. */
export const ALL_VALUE = "(all)"
export const NONE_VALUE = "(none)"
