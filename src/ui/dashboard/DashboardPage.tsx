/**
 * The dashboard (route `/dashboard`): "did the launch work?" at a glance. It reads only the warehouse's
 * query API and its live feed, through the typed client; the view (range, device, each section's
 * choices) lives in the URL, so a link reproduces it. Each panel loads on its own.
 *
 * The first screen is the overview: the sections below it are their own chunk, mounted once the cards'
 * reports have answered, so a first load runs and renders only what the cards need before asking for
 * them (their rendering and code cost ~100 ms before the first request on the 2-core bench machine).
 */
import { For, lazy, onMount, Show } from "solid-js"
import { FilterBar } from "./FilterBar.tsx"
import { Overview } from "./sections/Overview.tsx"
import { TokenGate } from "./TokenGate.tsx"
import { cardsHaveAnswered, createView } from "./view.ts"
import "./dashboard.css"

const BelowTheCards = lazy(() => import("./BelowTheCards.tsx"))

export const SECTIONS = [
  ["overview", "Overview"],
  ["live", "Live"],
  ["funnels", "Funnels"],
  ["retention", "Retention"],
  ["experiments", "Experiments"],
  ["trends", "Trends"],
  ["business", "Business"],
  ["pipeline", "Pipeline"]
] as const

export default function DashboardPage() {
  const view = createView()
  onMount(() => {
    document.title = "Dashboard · Launchpad"
  })
  return (
    <div class="wrap wide page dashboard">
      <div class="dash-head">
        <h1>Did the launch work?</h1>
        <p class="intro-lead">
          The configurator launch, measured: engagement, conversion, retention and experiments from the warehouse, and
          the pipeline live.
        </p>
      </div>
      <TokenGate />
      <FilterBar view={view} />
      <nav class="section-nav" aria-label="Sections">
        <ul>
          <For each={SECTIONS}>
            {([id, label]) => (
              <li>
                <a href={`#${id}`}>{label}</a>
              </li>
            )}
          </For>
        </ul>
      </nav>
      <Overview view={view} />
      <Show when={cardsHaveAnswered()}>
        <BelowTheCards view={view} />
      </Show>
    </div>
  )
}
