/**
 * The dashboard (route `/dashboard`): "did the launch work?" at a glance. It reads only the warehouse's
 * query API and its live feed, through the typed client; the view (range, device, each section's
 * choices) lives in the URL, so a link reproduces it. Each panel loads on its own.
 */
import { For, onMount } from "solid-js"
import { FilterBar } from "./FilterBar.tsx"
import { Business } from "./sections/Business.tsx"
import { Experiments } from "./sections/Experiments.tsx"
import { Funnels } from "./sections/Funnels.tsx"
import { Live } from "./sections/Live.tsx"
import { Overview } from "./sections/Overview.tsx"
import { Pipeline } from "./sections/Pipeline.tsx"
import { Retention } from "./sections/Retention.tsx"
import { Trends } from "./sections/Trends.tsx"
import { TokenGate } from "./TokenGate.tsx"
import { createView } from "./view.ts"
import "./dashboard.css"

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
      <Live />
      <Funnels view={view} />
      <Retention view={view} />
      <Experiments view={view} />
      <Trends view={view} />
      <Business view={view} />
      <Pipeline view={view} />
    </div>
  )
}
