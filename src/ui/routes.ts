/**
 * The app's routes. Each page is its own chunk, loaded when first visited; the dashboard (`/dashboard`)
 * joins this list as one more lazy entry.
 */
import type { RouteDefinition } from "@solidjs/router"
import { lazy } from "solid-js"
import { NotFound } from "./NotFound.tsx"

export const routes: Array<RouteDefinition> = [
  { path: "/", component: lazy(() => import("./configurator/ConfiguratorPage.tsx")) },
  { path: "/result", component: lazy(() => import("./configurator/ResultPage.tsx")) },
  { path: "*404", component: NotFound }
]
