/**
 * The funnels Launchpad measures, each an ordered list of steps and the event type that marks each.
 * The live KPIs count the configurator funnel's steps per minute (KpiMeasures.ts); the SQL funnel
 * marts walk the same steps.
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

/** event type → the configurator funnel step it marks. */
export const CONFIGURATOR_STEP_OF: Readonly<Partial<Record<string, string>>> = Object.fromEntries(
  CONFIGURATOR_FUNNEL.map(({ step, eventType }) => [eventType, step])
)
