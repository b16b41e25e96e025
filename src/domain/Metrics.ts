/**
 * The rules behind Launchpad's metrics, written once: the warehouse models read them through model
 * vars and quote them in their descriptions (the session rules are in SessionRecord.ts, the funnels
 * in Funnels.ts).
 */
import type { EventType } from "./Catalog.ts"

const DAY_MS = 86_400_000

/** The configurator's milestones. */
export const CONFIGURATOR_EVENTS = {
  started: "quiz_started",
  completed: "quiz_completed",
  shared: "result_shared"
} as const satisfies Readonly<Record<string, EventType>>

/** What counts as an interaction with the configurator: a user's own input on a quiz step. */
export const CONFIGURATOR_INTERACTIONS: ReadonlyArray<EventType> = ["option_selected", "slider_adjusted"]

/** Completion (and sharing) counts when it comes within this time of the start (of the completion). */
export const COMPLETION_WINDOW_MS = DAY_MS

export const PURCHASE_EVENT: EventType = "purchase"

/** Return days of the retention cohort table (day 0 = the first-seen UTC day). */
export const RETENTION_DAYS: ReadonlyArray<number> = [1, 7, 14, 30]

/**
 * User segments as of the latest day with data (A), first rule that matches:
 * - `new`: first seen within the last `newDays` days (first day > A − newDays);
 * - `dormant`: no event in the last `dormantDays` days (last day ≤ A − dormantDays);
 * - `power`: active on at least `powerActiveDays` of the last `powerWindowDays` days;
 * - `casual`: everyone else.
 */
export const SEGMENT_RULES = {
  newDays: 7,
  dormantDays: 14,
  powerActiveDays: 8,
  powerWindowDays: 28
} as const

export const SEGMENTS = ["new", "casual", "power", "dormant"] as const
export type Segment = (typeof SEGMENTS)[number]

/** The retention groups: everyone, and the cohort split by completing the configurator on day 0. */
export const RETENTION_GROUPS = ["all", "completers", "non_completers"] as const
export type RetentionGroup = (typeof RETENTION_GROUPS)[number]

/** Campaign attribution models: credit to the user's earliest or latest touch. */
export const ATTRIBUTION_MODELS = ["first_touch", "last_touch"] as const
export type AttributionModel = (typeof ATTRIBUTION_MODELS)[number]

/** The device value of a mart row across every device (fct_daily_engagement, fct_search_funnel). */
export const ALL_DEVICES = "all"

/** Experiments: exposures come from this event; the variant named `control` is the baseline. */
export const EXPOSURE_EVENT: EventType = "experiment_exposure"
export const CONTROL_VARIANT = "control"

/** What `fct_experiment_results` measures for every experiment: a user converts with this event after exposure. */
export const EXPERIMENT_METRICS: ReadonlyArray<{ readonly metric: string; readonly event_type: EventType }> = [
  { metric: "configurator_completion", event_type: "quiz_completed" },
  { metric: "purchase", event_type: "purchase" }
]

/** Below this many exposed users in any variant, results are shown but not conclusive (PostHog's 50). */
export const MIN_EXPOSURES_PER_VARIANT = 50
/** The sample-ratio check needs this many exposures in the experiment (PostHog's 100). */
export const MIN_EXPOSURES_FOR_SRM = 100
/** A sample-ratio mismatch is flagged below this chi-square p-value (PostHog, GrowthBook, Statsig). */
export const SRM_P_THRESHOLD = 0.001

/** The two-sided 95 % normal quantile, Φ⁻¹(0.975). */
export const Z_95 = 1.959963984540054
