/**
 * The app's routes. Each page is its own chunk, loaded when first visited: the configurator never
 * loads the dashboard's client or charts.
 */
import type { RouteDefinition } from "@solidjs/router"
import { lazy } from "solid-js"
import { NotFound } from "./NotFound.tsx"

export const routes: Array<RouteDefinition> = [
  { path: "/", component: lazy(() => import("./configurator/ConfiguratorPage.tsx")) },
  { path: "/result", component: lazy(() => import("./configurator/ResultPage.tsx")) },
  { path: "/dashboard", component: lazy(() => import("./dashboard/DashboardPage.tsx")) },
  { path: "*404", component: NotFound }
]
