/**
 * The product's funnels and the funnel rules, written once: the warehouse's `fct_funnel` and
 * `fct_search_funnel` (through model vars), the funnel query builder of the API, and the stream's live
 * configurator funnel (`CONFIGURATOR_STEP_OF`) all read them. Steps are catalog event types, so a
 * renamed event breaks the build here instead of silently emptying a funnel.
 */
import type { EventType } from "./Catalog.ts"

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

export interface FunnelStep {
  /** A short name for charts and the stream's live funnel. */
  readonly step: string
  readonly event_type: EventType
}

export interface FunnelDefinition {
  readonly funnel: string
  readonly steps: ReadonlyArray<FunnelStep>
}

/** The feature under measurement: open the quiz, see a step, finish it, see the result, buy. */
export const CONFIGURATOR_FUNNEL: FunnelDefinition = {
  funnel: "configurator",
  steps: [
    { step: "started", event_type: "quiz_started" },
    { step: "step_viewed", event_type: "quiz_step_viewed" },
    { step: "completed", event_type: "quiz_completed" },
    { step: "result_viewed", event_type: "result_viewed" },
    { step: "purchased", event_type: "purchase" }
  ]
}

/** The shop: product page, cart, checkout, order. */
export const COMMERCE_FUNNEL: FunnelDefinition = {
  funnel: "commerce",
  steps: [
    { step: "product_viewed", event_type: "product_viewed" },
    { step: "added_to_cart", event_type: "add_to_cart" },
    { step: "checkout_started", event_type: "checkout_started" },
    { step: "purchased", event_type: "purchase" }
  ]
}

/** The funnels `fct_funnel` computes in every mode and breakdown. */
export const MART_FUNNELS: ReadonlyArray<FunnelDefinition> = [CONFIGURATOR_FUNNEL, COMMERCE_FUNNEL]

/** Search: a search, a click on one of its results, a booking that names the search. */
export const SEARCH_EVENTS = {
  search: "search_performed",
  click: "search_result_clicked",
  booking: "booking_completed"
} as const satisfies Readonly<Record<string, EventType>>

/** The configurator step each event type marks (the stream's live funnel counts these per minute). */
export const CONFIGURATOR_STEP_OF: Readonly<Partial<Record<string, string>>> = Object.fromEntries(
  CONFIGURATOR_FUNNEL.steps.map((s) => [s.event_type, s.step])
)

/** A funnel as a model var: `{funnel, steps: [event types]}`. */
export const funnelVar = (definition: FunnelDefinition) => ({
  funnel: definition.funnel,
  steps: definition.steps.map((s) => s.event_type)
})
