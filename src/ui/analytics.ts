/**
 * The app's tracker: events go to this server's ingest API (same origin). The configurator's layout is
 * the `configurator_layout` experiment, assigned by the SDK.
 */
import { createTracker } from "../sdk/index.ts"

export const tracker = createTracker({ endpoint: "", appVersion: __APP_VERSION__ })

export const EXPERIMENT = "configurator_layout"
export const LAYOUTS = ["control", "sliders_first"] as const
export type LayoutVariant = (typeof LAYOUTS)[number]

/** The user's layout; the first call for a user sends the experiment exposure. */
export const layoutVariant = (): LayoutVariant => tracker.variant(EXPERIMENT, LAYOUTS)

/** Names the page and records a page view. */
export const pageView = (title: string): void => {
  document.title = `${title} · Launchpad`
  tracker.page()
}
